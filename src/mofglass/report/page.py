"""The page: sections of tables and captioned figures, rendered as one self-contained
HTML file (figures embedded as base64 PNG, tables as HTML), so it can be mailed or
archived on its own; every scalar next to the published value where there is one."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml


@dataclass
class Section:
    """A titled part of the report: a text, tables and figures (PNG paths). ``captions``
    says what a figure shows, by its file's stem (``parity`` for ``.../parity.png``)."""

    title: str
    text: str = ""
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: list[str | Path] = field(default_factory=list)
    captions: Mapping[str, str] = field(default_factory=dict)


def references() -> pd.DataFrame:
    """Published values (``mofglass/data/references.yaml``)."""
    text = resources.files("mofglass").joinpath("data/references.yaml").read_text()
    table = pd.DataFrame(yaml.safe_load(text))
    table["error"] = pd.to_numeric(table["error"])  # null -> NaN
    return table


def compare(results: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Results (columns source, quantity, value, error, unit) joined with the published
    values for the same kind of source and quantity."""
    refs = references()
    refs = refs[refs["applies_to"] == kind]
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


def _figure(path: str | Path, captions: Mapping[str, str]) -> str:
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return f"<p class='missing'>missing: {html.escape(str(path))}</p>"
    data = base64.b64encode(path.read_bytes()).decode()
    where = html.escape(str(path))
    caption = html.escape(captions.get(path.stem, ""))
    text = f"{caption}<br><code>{where}</code>" if caption else f"<code>{where}</code>"
    return (
        f"<figure><img src='data:image/png;base64,{data}' alt='{caption or where}'>"
        f"<figcaption>{text}</figcaption></figure>"
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
            table.loc[hidden, column] = None
    return table


def _table(caption: str, table: pd.DataFrame) -> str:
    body = shown(table).to_html(
        index=False, float_format=lambda x: f"{x:.4g}", na_rep="–", border=0
    )
    return f"<h3>{html.escape(caption)}</h3>{body}"


STYLE = """
body { font-family: sans-serif; max-width: 1200px; margin: 2em auto; color: #222; }
h1 { border-bottom: 2px solid #444; } h2 { border-bottom: 1px solid #aaa; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1em; }
th, td { padding: 0.2em 0.6em; border-bottom: 1px solid #ddd; text-align: right; }
th { background: #f0f0f0; }
figure { display: inline-block; margin: 0.5em; vertical-align: top; }
figure img { max-width: 560px; } figcaption { font-size: 0.75em; color: #666; }
.missing { color: #a00; }
"""


def render(title: str, sections: Sequence[Section], intro: str = "") -> str:
    """The whole page."""
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
    ]
    if intro:
        parts.append(f"<p>{intro}</p>")
    parts.append(
        "<ul>"
        + "".join(
            f"<li><a href='#s{k}'>{html.escape(s.title)}</a></li>" for k, s in enumerate(sections)
        )
        + "</ul>"
    )
    for k, section in enumerate(sections):
        parts.append(f"<h2 id='s{k}'>{html.escape(section.title)}</h2>")
        if section.text:
            parts.append(f"<p>{section.text}</p>")
        parts += [_table(caption, table) for caption, table in section.tables]
        parts += [_figure(path, section.captions) for path in section.figures]
    parts.append("</body></html>")
    return "\n".join(parts)
