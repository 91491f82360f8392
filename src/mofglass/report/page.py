"""The page: sections of tables and captioned figures, rendered as one self-contained
HTML file (figures embedded as base64 PNG, tables as HTML), so it can be mailed or
archived on its own; every scalar next to the published value where there is one.

The page answers first: a summary section opens it (:mod:`.summary`), and every row
that failed in any section's tables (a verdict or a status that is not ``ok``) is
listed there with its reason and a link to its section (:func:`failures`)."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

#: Statuses of a number that is not a result (mofglass.statistics, mechanics, summary);
#: other statuses (an active-learning iteration's "trained") describe, not judge.
NOT_RESULTS = ("failed", "skipped", "not converged", "unphysical", "no glass", "not computed")
#: Columns that name what a row is about, in the order a failure names them.
IDENTIFIERS = ("model", "run", "source", "group", "sample", "replica", "quantity")


@dataclass
class Section:
    """A titled part of the report: a text, tables, figures (PNG paths) and raw HTML
    (``html``, already escaped: collapsible blocks). ``captions`` says what a figure
    shows, by its file's stem (``parity`` for ``.../parity.png``). ``published`` holds
    the section's answers next to the published values (:func:`compare` tables) that
    the summary repeats; a glass's are in the summary's own glass table."""

    title: str
    text: str = ""
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: list[str | Path] = field(default_factory=list)
    captions: Mapping[str, str] = field(default_factory=dict)
    html: str = ""
    published: list[pd.DataFrame] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        """The section's id on the page (its title, lower case, dashes)."""
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")


def references() -> pd.DataFrame:
    """Published values (``mofglass/data/references.yaml``); ``framework`` ZIF-4 where
    an entry names none."""
    text = resources.files("mofglass").joinpath("data/references.yaml").read_text()
    table = pd.DataFrame(yaml.safe_load(text))
    table["error"] = pd.to_numeric(table["error"])  # null -> NaN
    table["framework"] = table["framework"].fillna("ZIF-4")
    return table


def compare(results: pd.DataFrame, kind: str, framework: str | None = "ZIF-4") -> pd.DataFrame:
    """Results (columns source, quantity, value, error, unit) joined with the published
    values for the same kind of source and quantity, of ``framework`` (None: any; model
    errors are compared across frameworks, for scale)."""
    refs = references()
    refs = refs[refs["applies_to"] == kind]
    if framework is not None:
        refs = refs[refs["framework"] == framework]
    merged = results.merge(refs, on="quantity", how="inner", suffixes=("", "_reference"))
    status = [c for c in ("status", "reason") if c in merged]
    return merged[
        [
            "source",
            "quantity",
            "value",
            "error",
            "unit",
            *status,
            "value_reference",
            "error_reference",
            "source_reference",
        ]
    ].rename(
        columns={
            "value_reference": "published",
            "error_reference": "published_error",
            "source_reference": "published_in",
        }
    )


def failures(section: Section) -> list[dict]:
    """Every row of ``section``'s tables that is not a result: a ``verdict`` other than
    ok (a failed run), or a ``status`` other than ok (``failed``, ``not converged``,
    ``unphysical``: a number without a result); and every missing figure. Each as
    {section, anchor, what, reason, kind} (kind: ``failed``, or the status), once per
    row (a row shown in two tables, with the same reason, is listed once)."""
    found: list[dict] = []

    def add(what: str, reason: str, kind: str) -> None:
        # the same row of two tables (per sample, and next to the published values)
        names = set(re.split(r"\s*/\s*", what))
        for seen in found:
            other = set(re.split(r"\s*/\s*", seen["what"]))
            if seen["reason"] == reason and (names <= other or other <= names):
                return
        entry = {"section": section.title, "anchor": section.anchor}
        found.append(entry | {"what": what, "reason": reason, "kind": kind})

    for caption, table in section.tables:
        for column in ("verdict", "status"):
            if column not in table:
                continue
            state = table[column].fillna("ok").astype(str).replace("", "ok")
            bad = state != "ok" if column == "verdict" else state.isin(NOT_RESULTS)
            for _, row in table[bad].iterrows():
                names = [str(row[c]) for c in IDENTIFIERS if c in row and pd.notna(row[c])]
                what = " / ".join(names) or caption
                reason = row.get("reason")
                reason = str(reason) if pd.notna(reason) and str(reason) else str(row[column])
                kind = "failed" if column == "verdict" else str(row[column])
                kind = "failed" if kind == "skipped" else kind
                add(what, reason, kind)
    for path in section.figures:
        if not Path(path).exists() or Path(path).stat().st_size == 0:
            add(str(path), "figure missing: its job made no file", "failed")
    return found


def caption_of(path: str | Path, captions: Mapping[str, str]) -> str:
    """A figure's one-line caption: the first sentence of what its kind shows (the
    caption file of its stem), and which run it belongs to (the folders under
    ``results/<stage>/``)."""
    path = Path(path)
    text = captions.get(path.stem, "")
    first = re.split(r"(?<=\.)\s", text, maxsplit=1)[0].rstrip(".") if text else ""
    parts = list(path.parent.parts)
    if "results" in parts:
        parts = parts[parts.index("results") + 1 :]
    run = "/".join(parts)
    if not first:
        first = path.stem.replace("_", " ").capitalize()
    return f"{first} — {run}" if run else first


def _figure(path: str | Path, captions: Mapping[str, str]) -> str:
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return f"<p class='missing'>missing figure: {html.escape(str(path))}</p>"
    data = base64.b64encode(path.read_bytes()).decode()
    caption = html.escape(caption_of(path, captions))
    where = html.escape(str(path), quote=True)
    return (
        f"<figure title='{where}'><img src='data:image/png;base64,{data}' alt='{caption}'>"
        f"<figcaption>{caption}</figcaption></figure>"
    )


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """What a table shows: a row whose status is not ``ok`` (not converged, unphysical,
    failed) shows its status and reason instead of its value and error, which stay in
    the CSV files."""
    if "status" not in table:
        return table
    table = table.copy()
    hidden = table["status"].fillna("ok").astype(str) != "ok"
    for column in ("value", "error"):
        if column in table:
            table[column] = table[column].astype(object)
            table.loc[hidden, column] = float("nan")
    return table


#: How the files' ASCII unit tokens read on the page.
UNIT_GLYPHS = {"A": "Å", "A3": "Å³", "us": "µs", "cm3": "cm³", "deg": "°", "degrees": "°"}


#: Units a column's name may end with, without a "per".
PLAIN_UNITS = frozenset({"meV", "eV", "MPa", "GPa", "K", "ps", "fs", "s", "A", "A3", "THz"})


def unit_label(unit: object) -> object:
    """The page's label of a unit written in a file: ``g/cm3`` -> ``g/cm³``,
    ``meV_per_A`` -> ``meV/Å``; a missing unit (dimensionless) stays as it is."""
    if not isinstance(unit, str) or not unit:
        return unit
    tokens = re.split(r"(/|_per_)", unit)
    return "".join("/" if t in ("/", "_per_") else UNIT_GLYPHS.get(t, t) for t in tokens)


def column_unit(column: str) -> str:
    """The unit a column's name ends with: ``energy_mae_meV_per_atom`` -> ``meV/atom``,
    ``stress_mae_MPa`` -> ``MPa``, ``us_per_atom_step`` -> ``µs/atom/step``,
    ``n_frames`` -> ``""`` (none named)."""
    words = column.split("_")
    if "per" not in words:
        return words[-1] if words[-1] in PLAIN_UNITS else ""
    k = words.index("per")
    below = [UNIT_GLYPHS.get(w, w) for w in words[k + 1 :]]
    return "/".join([UNIT_GLYPHS.get(words[k - 1], words[k - 1]), *below])


def table_html(table: pd.DataFrame, escape: bool = True) -> str:
    """A table as HTML: numbers to 4 significant digits, missing values as –, units in
    their typographic form (:func:`unit_label`); wide tables scroll sideways."""
    table = table.copy()
    for column in table.columns:
        if str(column) == "unit" or str(column).endswith("_unit"):
            table[column] = table[column].map(unit_label)
    body = shown(table).to_html(
        index=False, float_format=lambda x: f"{x:.4g}", na_rep="–", border=0, escape=escape
    )
    return f"<div class='wide'>{body}</div>"


def _table(caption: str, table: pd.DataFrame) -> str:
    return f"<h3>{html.escape(caption)}</h3>{table_html(table)}"


STYLE = """
body { font-family: sans-serif; max-width: 1200px; margin: 2em auto; color: #222; }
h1 { border-bottom: 2px solid #444; } h2 { border-bottom: 1px solid #aaa; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1em; }
th, td { padding: 0.2em 0.6em; border-bottom: 1px solid #ddd; text-align: right; }
th { background: #f0f0f0; }
figure { display: inline-block; margin: 0.5em; vertical-align: top; max-width: 560px; }
figure img { max-width: 560px; } figcaption { font-size: 0.8em; color: #444; }
.missing, .failed { color: #a00; } .ok { color: #070; }
.answer { font-size: 1.15em; padding: 0.6em 1em; border-left: 4px solid #444;
  background: #f6f6f6; }
.wide { overflow-x: auto; }
details pre { font-size: 0.8em; background: #f6f6f6; padding: 0.5em; overflow-x: auto; }
"""


def render(title: str, sections: Sequence[Section], intro: str = "") -> str:
    """The whole page: the title, ``intro``, a table of contents, then the sections
    in order (the first is the summary when the report has one)."""
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
    ]
    if intro:
        parts.append(f"<p>{intro}</p>")
    parts.append(
        "<nav><ul>"
        + "".join(f"<li><a href='#{s.anchor}'>{html.escape(s.title)}</a></li>" for s in sections)
        + "</ul></nav>"
    )
    for section in sections:
        parts.append(f"<section id='{section.anchor}'><h2>{html.escape(section.title)}</h2>")
        if section.text:
            parts.append(f"<p>{section.text}</p>")
        parts.append(section.html)
        parts += [_table(caption, table) for caption, table in section.tables]
        parts += [_figure(path, section.captions) for path in section.figures]
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
