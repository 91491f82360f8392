"""Stage 9's section: every melt-quench replica's verdict and T(t)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

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
    rows = []
    for path in files.get("meltquench_committees", []):
        sigma = pd.read_csv(path) if Path(path).stat().st_size > 1 else pd.DataFrame()
        if not len(sigma):
            continue
        beyond = sigma.loc[sigma["beyond_trust"].astype(bool), "time_ps"]
        rows.append(
            {
                "run": "/".join(Path(path).parts[-3:-1]),
                "frames": len(sigma),
                "sigma_F_max_eV_per_A": sigma["sigma_F_max_eV_per_A"].max(),
                "beyond_trust_from_ps": beyond.iloc[0] if len(beyond) else float("nan"),
            }
        )
    if rows:
        caption = "committees: σ_F along each run (beyond_trust_from_ps: – when never)"
        result.tables.append((caption, pd.DataFrame(rows)))
    result.figures += files.get("meltquench_figures", [])
    return result
