"""Stage 12's section: the barrier of every (model, bias) run next to the published
one, with the FES and its convergence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ..atomicio import read_table
from .page import Section, compare


def section(
    files: Mapping[str, Sequence[str]],
    runs: Sequence[str],
    captions: Mapping[str, str],
    frameworks: Mapping[str, str] | None = None,
) -> Section | None:
    """``runs`` (``<model>/<bias>``) in the order of ``enhanced_barriers``;
    ``frameworks``: run -> the framework of its structure (ZIF-4 where not named);
    ``enhanced_figures``."""
    if not files.get("enhanced_barriers"):
        return None
    result = Section(
        "Enhanced sampling",
        "Well-tempered metadynamics: the FES rebuilt from the deposited hills, "
        "F = -γ/(γ-1) V; the barrier is the highest F in the bias's top interval minus the "
        "lowest in its basin, along its barrier CV (a two-CV FES projected on it first), "
        "its error the spread over the last half of the run. Regions no hill reached sit "
        "flat at the top of the FES.",
        captions=captions,
    )
    rows = []
    for run, path in zip(runs, files["enhanced_barriers"], strict=True):
        table = read_table(path)
        table.insert(0, "source", run)
        rows.append(table)
    table = pd.concat(rows, ignore_index=True)
    result.tables.append(("barriers", table))
    if "barrier_eV" in table:
        values = table.assign(
            quantity="barrier_eV", value=table["barrier_eV"], error=table["barrier_err_eV"]
        ).assign(unit="eV")
        parts = [
            compare(
                values[values["source"] == run], "enhanced", (frameworks or {}).get(run, "ZIF-4")
            )
            for run in runs
        ]
        compared = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        if len(compared):
            result.tables.append(("next to published values", compared))
            result.published.append(compared)
    result.figures += files.get("enhanced_figures", [])
    return result
