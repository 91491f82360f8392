"""Stage 10's section: the structure of every source, next to the published values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..atomicio import read_table
from .page import Section, compare

KINDS = ("structure", "aimd", "meltquench", "set")


def section(
    files: Mapping[str, Sequence[str]], sources: Sequence[str], captions: Mapping[str, str]
) -> Section:
    """``sources``: the analysis sources (``<kind>/<name>``) in the order of
    ``analysis_summaries``; ``analysis_figures``."""
    result = Section(
        "Structure",
        "Averages with their errors (block averages for one trajectory, standard errors "
        "across replicas or structures), and published values. Each PMF is taken at its "
        "source's own temperature, named in its figure: an AIMD run's thermostat, the "
        "melt-quench's final stage for glasses, analysis.pmf_temperature_K for static "
        "structures.",
        captions=captions,
    )
    summaries = dict(zip(sources, files.get("analysis_summaries", []), strict=True))
    for kind in KINDS:
        rows = []
        for source, path in summaries.items():
            if not source.startswith(kind + "/") or Path(path).stat().st_size == 0:
                continue
            summary = read_table(path)
            for column in ("value", "error"):
                summary[column] = pd.to_numeric(summary[column], errors="coerce")
            summary.insert(0, "source", source)
            rows.append(summary)
        if not rows:
            continue
        table = pd.concat(rows, ignore_index=True)
        result.tables.append((f"{kind}: all quantities", table.drop(columns=["n_samples"])))
        compared = compare(table, kind)
        if len(compared):
            result.tables.append((f"{kind}: next to published values", compared))
    result.figures += files.get("analysis_figures", [])
    return result
