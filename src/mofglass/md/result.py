"""What an MD run returns, whichever engine ran it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from ase import Atoms

#: What a run is watched with: a frame's problems (none: the frame is sane).
Watch = Callable[[Atoms], list[str]] | None


@dataclass
class MDResult:
    """Thermo table (one row per thermo output, units in the column names), frames, and
    the verdict: ``ok``, or ``failed`` with the reason and the time (ps) it happened."""

    thermo: pd.DataFrame
    frames: list[Atoms] = field(default_factory=list)
    loop_times_s: list[float] = field(default_factory=list)
    verdict: str = "ok"
    reason: str = ""
    failed_at_ps: float = float("nan")

    @property
    def simulated_ps(self) -> float:
        """Time (ps) of the last thermo row; 0 when the run failed at set-up."""
        return float(self.thermo["time_ps"].iloc[-1]) if len(self.thermo) else 0.0

    def row(self, **labels) -> dict:
        """The run's verdict row (``labels`` first): verdict, reason, failed_at_ps,
        simulated_ps; a job adds what it measured."""
        return {
            **labels,
            "verdict": self.verdict,
            "reason": self.reason,
            "failed_at_ps": self.failed_at_ps,
            "simulated_ps": self.simulated_ps,
        }
