"""Stage 6's section (with stage 7's MD check): every model's errors, cost and MD
check, side by side and next to the published models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from .. import plots
from ..atomicio import read_table
from ..evaluation import model_comparison, ranks_errors
from .page import Section, column_unit, compare


def _published_rows(name: str, metrics: pd.DataFrame, cost: pd.DataFrame | None) -> list[dict]:
    test = metrics[metrics["split"] == "test"].iloc[0]
    rows = [
        {"source": f"{name} (test)", "quantity": column, "value": test[column]}
        | {"error": float("nan"), "unit": column_unit(column)}
        for column in metrics.columns[3:-1]
    ]
    if cost is None:
        return rows
    rows.append(
        {"source": f"{name} ({cost['n_atoms'].iloc[-1]} atoms)", "quantity": "us_per_atom_step"}
        | {"value": cost["us_per_atom_step"].iloc[-1], "error": float("nan")}
        | {"unit": "µs/atom/step"}
    )
    return rows


def _committees(paths: Sequence[str]) -> pd.DataFrame:
    """Per model with a committee: how its force deviation σ_F (largest per atom, eV/Å)
    orders the true error on the held-out frames (Spearman's ρ)."""
    rows = []
    for path in paths:
        table = read_table(path) if Path(path).stat().st_size else pd.DataFrame()
        if not len(table):
            continue
        held_out = table[table["split"] != "train"]
        rows.append(
            {
                "model": Path(path).parent.name,
                "held_out_frames": len(held_out),
                "spearman_rho": ranks_errors(held_out),
                "sigma_F_max_mean_eV_per_A": held_out["sigma_F_max_eV_per_A"].mean(),
                "error_F_max_mean_eV_per_A": held_out["error_F_max_eV_per_A"].mean(),
            }
        )
    return pd.DataFrame(rows)


def _models(files: Mapping[str, Sequence[str]], models: Mapping[str, Mapping]) -> list:
    """Per model: its name, its tables (errors, MD cost, MD check) and what
    :func:`~mofglass.evaluation.model_comparison` takes of it."""
    out = []
    costs = {Path(p).parent.name: read_table(p) for p in files.get("models_cost", [])}
    checks = {Path(p).parents[1].name: p for p in files.get("models_md", [])}
    for name, metrics_file in zip(models, files.get("models_metrics", []), strict=True):
        metrics, cost = read_table(metrics_file), costs.get(name)
        verdict = pd.read_csv(checks[name], sep="\t") if name in checks else None
        tables = [(f"{name}: errors", metrics)]
        if cost is not None:
            tables.append((f"{name}: MD cost", cost))
        if verdict is not None:
            tables.append((f"{name}: MD check", verdict))
        # compared at the largest cell that ran (one beyond the job's memory did not)
        ran = None if cost is None else cost.dropna(subset=["us_per_atom_step"])
        compared = dict(
            models[name], metrics=metrics, cost=ran if ran is not None and len(ran) else None
        )
        compared["md_check"] = "not run" if verdict is None else verdict["verdict"].iloc[0]
        out.append((name, tables, compared))
    return out


def comparison(files: Mapping[str, Sequence[str]], models: Mapping[str, Mapping]) -> pd.DataFrame:
    """Every model's test errors, MD cost and MD check, with the published models
    (Castel et al.'s Table 1 layout); empty when the run has no models."""
    if not models:
        return pd.DataFrame()
    return model_comparison({name: c for name, _, c in _models(files, models)})


def section(
    files: Mapping[str, Sequence[str]],
    models: Mapping[str, Mapping],
    comparison_figure: str,
    captions: Mapping[str, str],
) -> Section:
    """``models``: name -> {type, dataset}, in the order of ``models_metrics``;
    ``models_cost`` and ``models_md`` (the MD check's verdict) of the models that ran
    them (``results/models/<model>/cost.csv``, ``results/md/<model>/check/...``);
    ``models_figures``. Draws the accuracy-against-cost figure into
    ``comparison_figure``."""
    result = Section(
        "Models",
        "Errors of every model on its splits (LAMMPS with the written files), "
        "measured MD cost on this machine, and published values.",
        captions=captions,
    )
    rows, compared = [], {}
    for name, tables, model in _models(files, models):
        result.tables += tables
        rows += _published_rows(name, model["metrics"], model["cost"])
        compared[name] = model
    result.figures += files.get("models_figures", [])
    committees = _committees(files.get("models_committee", []))
    if len(committees):
        result.tables.append(("committees: σ_F against the true force error", committees))
    if not models:
        plots.empty_figure(comparison_figure, "no models in this run")
        return result
    table = model_comparison(compared)
    plots.comparison_plot(table, comparison_figure)
    result.tables.insert(0, ("comparison (test MAE; Table 1 layout)", table))
    result.figures.insert(0, comparison_figure)
    result.tables.insert(
        0, ("next to published values", compare(pd.DataFrame(rows), "model", framework=None))
    )
    return result
