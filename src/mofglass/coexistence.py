"""Transition temperatures from direct coexistence (Méndez & Semino): a crystal slab
against a disordered slab (amorphous or liquid) of the same framework in one cell, run
at constant pressure at a ladder of temperatures; the local phase classifier says, per
frame, what share of the cell is crystalline. Below the transition the crystal grows,
above it shrinks: the transition temperature is bracketed between the highest
temperature at which the crystal grew and the lowest at which it shrank.

No maintained library runs this protocol or reads its outcome (LAMMPS runs the MD,
:mod:`mofglass.phases` classifies each metal atom, scipy fits the growth rates), so the
cell building, the growth fits and the bracketing are written here.

Units: K, ps, Å; fractions are per classified atom (the metal; Ar in the LJ check).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ase import Atoms

#: A growth rate counts as growth or melting when it is this many standard errors from 0.
SIGNIFICANCE = 2.0


def slab_cell(crystal: Atoms, disordered: Atoms, axis: int = 2, gap_A: float = 1.0) -> Atoms:
    """One cell with ``crystal`` then ``disordered`` stacked along lattice vector
    ``axis``: the disordered slab is strained to the crystal's lateral cell (its own
    length along ``axis`` kept), so the two share an interface, and ``gap_A`` (Å) is
    left at each of the two interfaces, so that no atom of one slab sits on one of the
    other (the barostat closes the gaps). Both must be periodic cells with the same two
    lateral lattice vectors up to a strain; positions in Å. The atoms carry ``slab`` =
    0 (crystal) or 1 (disordered) in ``arrays``."""
    lateral = [k for k in range(3) if k != axis]
    cell = np.array(crystal.cell)
    other = np.array(disordered.cell)
    if not np.allclose(cell[lateral], other[lateral], rtol=0.1):
        raise ValueError(
            "the slabs' lateral cells differ by more than 10 %: build both from the same "
            "supercell of the crystal"
        )
    strained = disordered.copy()
    strained.wrap()
    target = other.copy()
    target[lateral] = cell[lateral]
    strained.set_cell(target, scale_atoms=True)
    unit = cell[axis] / np.linalg.norm(cell[axis])
    stacked = cell.copy()
    stacked[axis] = cell[axis] + target[axis] + 2 * gap_A * unit
    first = crystal.copy()
    first.wrap()
    second = strained.copy()
    second.positions += cell[axis] + gap_A * unit
    # a plain cell: arrays an MD engine left on either slab (LAMMPS types, velocities)
    # would be half-filled with zeros once the two are joined
    out = Atoms(
        numbers=np.r_[first.numbers, second.numbers],
        positions=np.vstack([first.positions, second.positions]),
        cell=stacked,
        pbc=True,
    )
    out.wrap()
    out.arrays["slab"] = np.r_[np.zeros(len(first), int), np.ones(len(second), int)]
    return out


@dataclass(frozen=True)
class Growth:
    """The crystalline fraction's slope (1/ps) at one temperature, its standard error,
    and what it says: ``grows``, ``shrinks`` or ``undecided`` (within
    :data:`SIGNIFICANCE` errors of 0), or ``failed`` (the run did not finish)."""

    temperature_K: float
    rate_per_ps: float
    error_per_ps: float
    outcome: str
    reason: str = ""


def growth(temperature_K: float, times_ps: Sequence[float], crystalline: Sequence[float]) -> Growth:
    """The least-squares slope of the crystalline fraction against time, with the
    standard error from the fit's residuals (scipy's ``linregress``)."""
    from scipy.stats import linregress

    t = np.asarray(times_ps, dtype=float)
    x = np.asarray(crystalline, dtype=float)
    if len(t) < 3:
        return Growth(temperature_K, np.nan, np.nan, "failed", f"{len(t)} frames: 3 needed")
    fit = linregress(t, x)
    rate, error = float(fit.slope), float(fit.stderr)
    if rate > SIGNIFICANCE * error:
        outcome = "grows"
    elif rate < -SIGNIFICANCE * error:
        outcome = "shrinks"
    else:
        outcome = "undecided"
    return Growth(temperature_K, rate, error, outcome)


def bracket(growths: Sequence[Growth]) -> dict:
    """The transition temperature (K) between the highest temperature whose crystal
    grew and the lowest whose crystal shrank: the midpoint, with half the bracket as
    its uncertainty. The status says when the ladder does not bracket it (no growth
    below, or no melting above: widen the ladder) or is inconsistent (growth above a
    melting): then the value is NaN."""
    done = sorted((g for g in growths if g.outcome != "failed"), key=lambda g: g.temperature_K)
    grew = [g.temperature_K for g in done if g.outcome == "grows"]
    shrank = [g.temperature_K for g in done if g.outcome == "shrinks"]
    row = {"low_K": np.nan, "high_K": np.nan, "value_K": np.nan, "error_K": np.nan}
    if not grew or not shrank:
        missing = "no temperature grew the crystal" if not grew else "none melted it"
        return row | {"status": "not bracketed", "reason": f"{missing}: widen the ladder"}
    low, high = max(grew), min(shrank)
    if low > high:
        return row | {
            "status": "inconsistent",
            "reason": f"the crystal grew at {low:g} K but shrank at {high:g} K",
        }
    return {
        "low_K": low,
        "high_K": high,
        "value_K": 0.5 * (low + high),
        "error_K": 0.5 * (high - low),
        "status": "ok",
        "reason": f"grows at {low:g} K, shrinks at {high:g} K",
    }
