"""Stage 13's section: the classifier's accuracy and confusion matrix, and the phase
fractions along every melt-quench."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..atomicio import read_table
from .page import Section


def section(files: Mapping[str, Sequence[str]], captions: Mapping[str, str]) -> Section | None:
    """``phases_metrics``: the classifier's metrics; ``phases_figures``."""
    if not files.get("phases_metrics"):
        return None
    result = Section(
        "Phase classification",
        "Per Zn: symmetry functions over Zn-Zn pairs and a small network (Méndez & "
        "Semino; about 90 % accuracy over four phases, 95 % on crystals). Accuracy on the "
        "held-out 20 % of the Zn; phases whose MD failed have no frames and are left out. "
        "Then the fraction of Zn in each phase, and of 3-coordinated Zn, along every "
        "melt-quench, with its temperature.",
        captions=captions,
    )
    (metrics,) = files["phases_metrics"]
    result.tables.append(("classifier", read_table(metrics)))
    result.figures += files.get("phases_figures", [])
    return result
