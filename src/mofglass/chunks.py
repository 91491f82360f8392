"""Reference MD in restartable chunks, whoever computes the forces (CP2K in
:mod:`mofglass.aimd`, a calculator level in :mod:`mofglass.calculators`): the chunk plan,
the steps a chunk must write, the continuity check of the whole run and the runaway
watch that cuts it where it went wrong.

Units: K, eV, MD steps.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ase import Atoms

log = logging.getLogger(__name__)


class AIMDError(RuntimeError):
    """An AIMD run that produced unusable output (non-finite values, missing steps)."""


@dataclass(frozen=True)
class RunawayWatch:
    """Limits of a healthy NVT run at ``temperature_K``: the instantaneous temperature
    at most ``max_temperature_factor`` times it, the conserved quantity (eV) within
    ``max_conserved_drift_meV_per_atom`` of its first value."""

    temperature_K: float
    max_temperature_factor: float = 3.0
    max_conserved_drift_meV_per_atom: float = 50.0

    @classmethod
    def from_config(cls, temperature_K: float, block: Mapping | None) -> RunawayWatch:
        return cls(temperature_K, **dict(block or {}))

    def first_problem(self, frames: Sequence[Atoms]) -> tuple[int, str] | None:
        """(index, reason) of the first frame past a limit, or None."""
        if not frames:
            return None
        limit = self.max_temperature_factor * self.temperature_K
        start = float(frames[0].info["conserved_eV"])
        for index, frame in enumerate(frames):
            step = frame.info["step"]
            temperature = float(frame.info["temperature_inst_K"])
            if not math.isfinite(temperature) or temperature > limit:
                return index, f"runaway: {temperature:.0f} K at step {step}, above {limit:g} K"
            drift = (float(frame.info["conserved_eV"]) - start) / len(frame) * 1000.0
            if not math.isfinite(drift) or abs(drift) > self.max_conserved_drift_meV_per_atom:
                return index, (
                    f"runaway: conserved quantity drifted {drift:+.1f} meV/atom by step "
                    f"{step}, beyond {self.max_conserved_drift_meV_per_atom:g}"
                )
        return None


def cut_at_runaway(frames: list[Atoms], watch: RunawayWatch | None) -> str:
    """Flag the first frame past ``watch``'s limits and every later one with
    ``info['runaway']`` (the reason), so none enters the pool; returns the reason or ''."""
    found = watch.first_problem(frames) if watch is not None else None
    if found is None:
        return ""
    index, reason = found
    for frame in frames[index:]:
        frame.info["runaway"] = reason
    log.warning(
        "%s; %d frame(s) from there on are kept out of the pool", reason, len(frames) - index
    )
    return reason


def chunk_plan(steps: int, chunk_steps: int) -> list[tuple[int, int]]:
    """(first step, number of steps) of each chunk."""
    n = math.ceil(steps / chunk_steps)
    return [(k * chunk_steps, min(chunk_steps, steps - k * chunk_steps)) for k in range(n)]


def expected_steps(first: int, nsteps: int, print_every: int) -> list[int]:
    """MD steps a chunk writes: its start (first chunk only) and every ``print_every``."""
    start = first if first == 0 else first + print_every
    return list(range(start, first + nsteps + 1, print_every))


def check_continuity(frames: list[Atoms], steps: int, print_every: int) -> None:
    """Raise :class:`AIMDError` unless frames cover steps 0..steps every ``print_every``."""
    found = [int(f.info["step"]) for f in frames]
    want = list(range(0, steps + 1, print_every))
    if found != want:
        dup = sorted({s for s in found if found.count(s) > 1})
        missing = sorted(set(want) - set(found))
        raise AIMDError(f"trajectory steps are not continuous: repeated {dup}, missing {missing}")
