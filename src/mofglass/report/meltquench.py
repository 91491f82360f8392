"""Stage 8's section: every melt-quench replica's verdict and T(t)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from .page import Section


def section(files: Mapping[str, Sequence[str]], captions: Mapping[str, str]) -> Section | None:
    """``meltquench_verdicts``: the table of every replica; ``meltquench_figures``."""
    if not files.get("meltquench_verdicts"):
        return None
    result = Section(
        "Melt-quench",
        "Every run's verdict from the stability watch, and T(t) with the stages "
        "coloured (Castel et al., Fig. 5).",
        captions=captions,
    )
    (verdicts,) = files["meltquench_verdicts"]
    result.tables.append(("verdicts", pd.read_csv(verdicts, sep="\t")))
    result.figures += files.get("meltquench_figures", [])
    return result
