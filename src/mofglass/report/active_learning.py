"""Stage 7's section: every loop's records, iteration by iteration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..atomicio import read_table
from .page import Section


def section(files: Mapping[str, Sequence[str]], captions: Mapping[str, str]) -> Section | None:
    """``al_records``: each loop's ``records.csv``; ``al_figures``."""
    if not files.get("al_records"):
        return None
    result = Section(
        "Active learning",
        "Per iteration: frames explored by MD with the current model at T_k, new CBAD "
        "bins, frames selected, labelled and quarantined; the force RMSE of model k-1 "
        "on the fresh frames (before they join the training set) and of the current "
        "model on the fixed test set; core-seconds per stage. A loop that also explores "
        "under a metadynamics bias gives, per iteration, the frames selected from its "
        "biased runs and the barrier of model k-1 (eV) those runs' hills give, with its "
        "standard error.",
        captions=captions,
    )
    for path in files["al_records"]:
        result.tables.append((f"{Path(path).parent.name}: records", read_table(path)))
    result.figures += files.get("al_figures", [])
    return result
