"""Stage 15's section: the reference level against a second level, and every glass at
its teacher's level."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ..atomicio import read_table
from .page import Section


def section(files: Mapping[str, Sequence[str]]) -> Section | None:
    """``cross_check_levels``: per dataset; ``cross_check_glasses``: per model."""
    levels = [read_table(f) for f in files.get("cross_check_levels", [])]
    glasses = [read_table(f) for f in files.get("cross_check_glasses", [])]
    if not levels and not glasses:
        return None
    result = Section(
        "Cross-checks",
        "The reference level against a second level on each checked dataset's test split "
        "(energies after removing the mean offset between the two levels, meV/atom; "
        "forces meV/Å; stress GPa), and each glass's final frame at the level its model "
        "learnt from: its energy above the model's 300 K crystal frame (meV/atom, and "
        "kJ/mol per metal atom), the RMS force there against the crystal's (eV/Å), and "
        "the model's own force error on the glass (meV/Å).",
    )
    if levels:
        result.tables.append(("levels", pd.concat(levels, ignore_index=True)))
    if glasses:
        result.tables.append(("glasses", pd.concat(glasses, ignore_index=True)))
    return result
