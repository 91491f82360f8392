"""The report's first section, the answer: whether glasses came out and what they are
like next to the papers, how accurate and costly each model is, and every failure of
the run with its reason and a link to the section that shows it."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..atomicio import read_table
from ..statistics import CRYSTALLINE
from .page import Section, failures, references, table_html

#: What a glass is judged by: (label, quantity, where it is computed, the kind of
#: published value it is compared with). Units are those of the files.
GLASS_QUANTITIES = (
    ("Zn–N coordination", "zn_n_coordination", "analysis", "meltquench"),
    ("N–Zn–N angle", "n_zn_n_angle_mean", "analysis", "meltquench"),
    ("Zn distance from any crystal site (disorder)", "zn_site_distance", "analysis", "meltquench"),
    ("density", "density", "analysis", "meltquench"),
    ("pore volume", "pore_volume", "analysis", "meltquench"),
    ("bulk modulus (P–V)", "K_PV", "mechanics", "mechanics-glass"),
    ("bulk modulus (P–V of relaxed cells, 0 K)", "K_PV_0K", "mechanics", "mechanics-glass"),
    ("bulk modulus (fluctuations, Hill)", "K_hill", "mechanics", "mechanics-glass"),
)


def _verdicts(files: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    paths = files.get("meltquench_verdicts") or []
    if not paths or Path(paths[0]).stat().st_size == 0:
        return pd.DataFrame(columns=["model", "replica", "verdict", "reason"])
    return pd.read_csv(paths[0], sep="\t")


def _analysis_rows(files, sources) -> dict[str, pd.DataFrame]:
    """Each melt-quench model's structure summary (analysis of its replicas)."""
    out = {}
    for source, path in zip(sources, files.get("analysis_summaries", []), strict=True):
        if source.startswith("meltquench/") and Path(path).stat().st_size > 0:
            out[source.split("/", 1)[1]] = read_table(path)
    return out


def _mechanics_rows(files, models, kinds) -> dict[str, pd.DataFrame]:
    """Each model's mechanics of its glass samples: the mean over replicas where there
    are several (rows with n > 1), else the one sample."""
    glass_groups = [g for g, kind in kinds.items() if kind == "glass"]
    out = {}
    for model, path in zip(models, files.get("mechanics_summaries", []), strict=True):
        table = read_table(path)
        table = table[table["group"].isin(glass_groups)]
        if (table["n"] > 1).any():
            table = table[table["n"] > 1]
        out[model] = table
    return out


def _published(quantity: str, kind: str) -> tuple[float, float, str]:
    refs = references()
    refs = refs[(refs["applies_to"] == kind) & (refs["quantity"] == quantity)]
    refs = refs[refs["framework"] == "ZIF-4"]  # the glasses are ZIF-4's
    if not len(refs):
        return float("nan"), float("nan"), ""
    first = refs.iloc[0]
    return first["value"], first["error"], first["source"]


def glasses(
    files: Mapping[str, Sequence[str]],
    sources: Sequence[str],
    mechanics_models: Sequence[str],
    kinds: Mapping[str, str],
) -> pd.DataFrame:
    """One row per (melt-quench model, quantity): replicas ok of all, the value with its
    error, unit and status, and the published value beside it; one row ``no glass`` for
    a model whose every replica failed."""
    verdicts = _verdicts(files)
    analysed = _analysis_rows(files, sources)
    mechanics = _mechanics_rows(files, mechanics_models, kinds)
    rows = []
    for model, runs in verdicts.groupby("model", sort=False):
        ok = int((runs["verdict"] == "ok").sum())
        if ok == 0:  # nothing to compare: one row that says so
            reason = f"all {len(runs)} replicas failed (Melt-quench: each one's reason)"
            rows.append({"model": model, "glasses": f"0 of {len(runs)}", "quantity": "all"}
                        | {"status": "no glass", "reason": reason})  # fmt: skip
            continue
        for label, quantity, where, kind in GLASS_QUANTITIES:
            table = (analysed if where == "analysis" else mechanics).get(model)
            found = table[table["quantity"] == quantity] if table is not None else table
            row = {"model": model, "glasses": f"{ok} of {len(runs)}", "quantity": label}
            if found is None or not len(found):
                row |= {"status": "not computed", "reason": f"no {where} of this model's glass"}
            else:
                first = found.iloc[0]
                row |= {
                    "value": pd.to_numeric(first["value"], errors="coerce"),
                    "error": pd.to_numeric(first["error"], errors="coerce"),
                    "unit": first["unit"] if isinstance(first["unit"], str) else "",
                    "status": first.get("status", "ok") or "ok",
                    "reason": first.get("reason", ""),
                }
            published, error, where_published = _published(quantity, kind)
            row |= {"published": published, "published_error": error}
            row |= {"published_in": where_published}
            rows.append(row)
    columns = ["model", "glasses", "quantity", "value", "error", "unit", "status", "reason"]
    columns += ["published", "published_error", "published_in"]
    return pd.DataFrame(rows, columns=columns)


def _headline(
    verdicts: pd.DataFrame,
    models: pd.DataFrame,
    n_failures: int,
    crystalline: Mapping[str, str] | None = None,
) -> str:
    """The answer in a few sentences; ``crystalline``: models whose melt-quench left the
    metals on their crystal sites, with the reason (they ran, but made no glass)."""
    if not len(verdicts):
        glass = (
            "This configuration makes no glass (it has no melt-quench); what it computes "
            "is in the tables below, next to the published values."
        )
    else:
        crystalline = crystalline or {}
        ran = verdicts["verdict"] == "ok"
        ok = int((ran & ~verdicts["model"].isin(list(crystalline))).sum())
        per_model = ", ".join(
            f"{m}: {int((r['verdict'] == 'ok').sum())} of {len(r)}"
            for m, r in verdicts.groupby("model", sort=False)
        )
        if ok:
            glass = (
                f"<b>{ok} of {len(verdicts)}</b> melt-quench replicas made a glass ({per_model})."
            )
        elif ran.any():
            glass = f"<b>No glass was made</b> ({per_model} replicas ran to the end)."
        else:
            glass = (
                f"<b>No glass was made</b>: all {len(verdicts)} melt-quench replicas failed "
                f"({per_model}); their reasons are listed under Failures."
            )
        for model, reason in crystalline.items():
            glass += (
                f" <b>{html.escape(model)}'s replicas are not glasses</b>: {html.escape(reason)}."
            )
    parts = [glass]
    ours = models[models["dataset"] != "flat histogram"] if len(models) else models
    ours = ours.dropna(subset=["forces_mae_meV_per_A"]) if len(ours) else ours
    if len(ours):
        best = ours.loc[ours["forces_mae_meV_per_A"].idxmin()]
        parts.append(
            f"Lowest test force error: <b>{html.escape(str(best['model']))}</b>, "
            f"{best['forces_mae_meV_per_A']:.0f} meV/Å on its test split "
            f"(Castel et al.'s NequIP: 15 meV/Å)."
        )
    parts.append(
        f"<b>{n_failures}</b> failure{'s' if n_failures != 1 else ''} (runs or results)"
        + (", each with its reason below." if n_failures else ".")
    )
    return " ".join(parts)


def answers(others: Sequence[Section]) -> pd.DataFrame:
    """Every section's answers next to the published values (crystals' mechanics,
    barriers, transition temperatures; the glasses have their own table), one table
    with the section each comes from."""
    parts = [
        table.assign(section=other.title)
        for other in others
        for table in other.published
        if len(table)
    ]
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, ignore_index=True)
    return table[["section", *[c for c in table.columns if c != "section"]]]


def _rows_html(found: Sequence[Mapping]) -> str:
    rows = "".join(
        f"<tr><td><a href='#{f['anchor']}'>{html.escape(f['section'])}</a></td>"
        f"<td>{html.escape(f['what'])}</td><td class='failed'>{html.escape(f['reason'])}</td></tr>"
        for f in found
    )
    head = "<tr><th>section</th><th>what</th><th>reason</th></tr>"
    return f"<div class='wide'><table><thead>{head}</thead><tbody>{rows}</tbody></table></div>"


def _failures_html(found: Sequence[Mapping]) -> str:
    """Failed runs and missing results in a table; numbers that are not converged or
    not physical (shown with their status where they are) in a collapsible list."""
    failed = [f for f in found if f["kind"] == "failed"]
    other = [f for f in found if f["kind"] != "failed"]
    out = "<h3>Failures</h3>"
    out += _rows_html(failed) if failed else "<p class='ok'>No run failed.</p>"
    if other:
        kinds = ", ".join(sorted({f["kind"] for f in other}))
        out += (
            f"<details><summary>{len(other)} numbers without a result ({html.escape(kinds)}), "
            "each shown with its status and reason</summary>" + _rows_html(other) + "</details>"
        )
    return out


#: Column headers of the summary's models table: what each column is, with its unit.
MODEL_HEADERS = {
    "energy_mae_meV_per_atom": "E MAE (meV/atom)",
    "energy_mae_after_offset_meV_per_atom": "E MAE after offset (meV/atom)",
    "forces_mae_meV_per_A": "F MAE (meV/Å)",
    "stress_mae_MPa": "stress MAE (MPa)",
    "us_per_atom_step": "MD cost (µs/atom/step)",
    "md_check": "MD check",
}


def section(
    files: Mapping[str, Sequence[str]],
    settings: Mapping,
    models: pd.DataFrame,
    others: Sequence[Section],
) -> Section:
    """The summary, from the same files as the other sections (``settings``: sources,
    mechanics models and kinds), the models' comparison table (:func:`.train.comparison`)
    and the other sections (``others``), whose failed rows it lists."""
    found = [f for s in others for f in failures(s)]
    n_failed = sum(f["kind"] == "failed" for f in found)
    verdicts = _verdicts(files)
    result = Section("Summary")
    table = pd.DataFrame()
    if len(verdicts):
        table = glasses(
            files, settings["sources"], settings["mechanics_models"], settings["mechanics_kinds"]
        )
    kept = table[table["status"] == CRYSTALLINE] if len(table) else table
    crystalline = dict(zip(kept.get("model", []), kept.get("reason", []), strict=True))
    result.html = f"<p class='answer'>{_headline(verdicts, models, n_failed, crystalline)}</p>"
    if len(verdicts):
        result.html += "<h3>Glasses, next to the published values</h3>" + table_html(table)
    answered = answers(others)
    if len(answered):
        result.html += "<h3>Crystals, barriers and transitions, next to the published values</h3>"
        result.html += table_html(answered)
    if len(models):
        result.html += "<h3>Models (test split; Castel et al.'s Table 1 below)</h3>"
        result.html += table_html(models.rename(columns=MODEL_HEADERS))
    result.html += _failures_html(found)
    return result
