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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from ase import Atoms

#: A growth rate counts as growth or melting when it is this many standard errors from 0.
SIGNIFICANCE = 2.0


def whole_molecules(atoms: Atoms, axis: int = 2) -> Atoms:
    """A copy with every linker (a component of the bonds between non-metals,
    :func:`mofglass.chemistry.linker_components`) made whole across the periodic
    boundaries and placed by its centre along lattice vector ``axis`` inside the cell, so
    that a plane cut keeps each linker on one side; metal atoms are wrapped into the
    cell. Positions in Å."""
    from ase.geometry import find_mic
    from scipy.sparse.csgraph import breadth_first_order

    from .chemistry import bond_graph, is_metal, linker_components

    # MDAnalysis's make_whole does this over its own topology; none of our dependencies
    # does it over ASE Atoms and a bond graph, so it is written here (a breadth-first walk)
    out = atoms.copy()
    out.wrap()
    i, j = bond_graph(out)
    metal = np.array([is_metal(s) for s in out.get_chemical_symbols()])
    graph, label = linker_components(i, j, metal)
    # the bond vectors by minimum image: a bond is shorter than half any cell length
    vectors = find_mic(out.positions[j] - out.positions[i], out.cell, out.pbc)[0]
    step = {(int(a), int(b)): v for a, b, v in zip(i, j, vectors, strict=True)}
    whole = out.positions.copy()
    for molecule in np.unique(label):
        members = np.flatnonzero(label == molecule)
        order, parent = breadth_first_order(graph, members[0], directed=False)
        for a in order[1:]:
            whole[a] = whole[parent[a]] + step[(int(parent[a]), int(a))]
        centre = out.cell.scaled_positions(whole[members].mean(0)[None])[0, axis]
        whole[members] -= np.floor(centre) * out.cell[axis]
    out.positions = whole
    return out


def _extent(atoms: Atoms, axis: int) -> tuple[float, float]:
    """How far (Å, along the normal of the other two lattice vectors) the atoms stick
    out below the cell's bottom face and above its top face (0 when they do not)."""
    lateral = [k for k in range(3) if k != axis]
    normal = np.cross(*atoms.cell[lateral])
    normal /= np.linalg.norm(normal) * np.sign(normal @ atoms.cell[axis])
    height = atoms.cell[axis] @ normal
    h = atoms.positions @ normal
    return max(0.0, -h.min()), max(0.0, h.max() - height)


def slab_cell(crystal: Atoms, disordered: Atoms, axis: int = 2, gap_A: float = 1.0) -> Atoms:
    """One cell with ``crystal`` then ``disordered`` stacked along lattice vector
    ``axis``: the disordered slab is strained to the crystal's lateral cell (its own
    length along ``axis`` kept), so the two share an interface. A framework is cut
    between its metals and linkers: each linker stays whole on the side of its centre
    (:func:`whole_molecules`), so no linker is split across an interface; the slabs are
    then moved apart by the height that their linkers stick out of their cells, and
    ``gap_A`` (Å) more at each of the two interfaces, so that no atom of one slab sits on
    one of the other (the barostat closes the gaps). Both must be periodic cells with
    the same two lateral lattice vectors up to a strain; positions in Å. The atoms
    carry ``slab`` = 0 (crystal) or 1 (disordered) in ``arrays``."""
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
    first = whole_molecules(crystal, axis)
    second = whole_molecules(strained, axis)
    below_1, above_1 = _extent(first, axis)
    below_2, above_2 = _extent(second, axis)
    unit = cell[axis] / np.linalg.norm(cell[axis])
    normal = np.cross(*cell[lateral])
    per_A = unit / abs(unit @ normal / np.linalg.norm(normal))  # 1 Å of height along axis
    lift = cell[axis] + (above_1 + gap_A + below_2) * per_A
    second.positions += lift
    stacked = cell.copy()
    stacked[axis] = lift + target[axis] + (above_2 + gap_A + below_1) * per_A
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


def crystal_share(cell: Atoms, species: str) -> float:
    """The crystal slab's share (``slab`` = 0, :func:`slab_cell`) of the atoms of
    ``species`` that the classifier reads (the metal)."""
    mine = np.array(cell.get_chemical_symbols()) == species
    return float(np.mean(cell.arrays["slab"][mine] == 0))


@dataclass(frozen=True)
class Growth:
    """The crystalline fraction's slope (1/ps) at one temperature, its standard error,
    and what it says: ``grows``, ``shrinks`` or ``undecided`` (within
    :data:`SIGNIFICANCE` errors of 0), ``unseen`` (the classifier did not see the
    crystal slab as crystal at the start, so the slope says nothing about it), or
    ``failed`` (the run did not finish); ``start`` is the crystalline fraction of the
    first three frames."""

    temperature_K: float
    rate_per_ps: float
    error_per_ps: float
    outcome: str
    reason: str = ""
    start: float = float("nan")


#: A run is ``unseen`` when the classifier gives less than this share of the crystal
#: slab as crystalline in its first three frames.
SEEN = 0.5


def growth(
    temperature_K: float,
    times_ps: Sequence[float],
    crystalline: Sequence[float],
    crystal_share: float | None = None,
) -> Growth:
    """The least-squares slope of the crystalline fraction against time, with the
    standard error from the fit's residuals (scipy's ``linregress``). Given the crystal
    slab's share of the classified atoms, a run whose first three frames show less than
    :data:`SEEN` of it as crystalline is ``unseen``: a slab thinner than twice the
    classifier's cutoff, or a crystal class not trained near this temperature."""
    from scipy.stats import linregress

    t = np.asarray(times_ps, dtype=float)
    x = np.asarray(crystalline, dtype=float)
    if len(t) < 3:
        return Growth(temperature_K, np.nan, np.nan, "failed", f"{len(t)} frames: 3 needed")
    fit = linregress(t, x)
    rate, error = float(fit.slope), float(fit.stderr)
    start = float(np.mean(x[np.argsort(t)[:3]]))
    if crystal_share is not None and start < SEEN * crystal_share:
        why = (
            f"the classifier sees {start:.2f} of the cell as crystal at the start, the "
            f"crystal slab is {crystal_share:.2f} of it"
        )
        return Growth(temperature_K, rate, error, "unseen", why, start)
    if rate > SIGNIFICANCE * error:
        outcome = "grows"
    elif rate < -SIGNIFICANCE * error:
        outcome = "shrinks"
    else:
        outcome = "undecided"
    return Growth(temperature_K, rate, error, outcome, start=start)


def bracket(growths: Sequence[Growth]) -> dict:
    """The transition temperature (K) between the highest temperature whose crystal
    grew and the lowest whose crystal shrank: the midpoint, with half the bracket as
    its uncertainty. The status says when the ladder does not bracket it (no growth
    below, or no melting above: widen the ladder; or no run saw its crystal slab as
    crystal) or is inconsistent (growth above a melting): then the value is NaN."""
    done = sorted(
        (g for g in growths if g.outcome not in ("failed", "unseen")),
        key=lambda g: g.temperature_K,
    )
    grew = [g.temperature_K for g in done if g.outcome == "grows"]
    shrank = [g.temperature_K for g in done if g.outcome == "shrinks"]
    row = {"low_K": np.nan, "high_K": np.nan, "value_K": np.nan, "error_K": np.nan}
    unseen = [g for g in growths if g.outcome == "unseen"]
    if unseen and not done:
        reason = f"no run saw its crystal slab: {unseen[0].reason}"
        return row | {"status": "not bracketed", "reason": reason}
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


def config_errors(config: dict) -> Iterator[str]:
    """Coexistence systems whose classifier, model, structure or crystal class the
    config does not define."""
    block = config.get("coexistence", {})
    if not block.get("enabled", False):
        return
    phases = config.get("phases", {})
    if not phases.get("enabled", False):
        yield "coexistence: needs the phase classifier (phases.enabled: true)"
    model = block.get("model") or phases.get("model")
    if model not in config.get("models", {}):
        yield f"coexistence.model: no model {model!r}"
    for name, system in block.get("systems", {}).items():
        key = f"coexistence.systems.{name}"
        if system["structure"] not in config.get("structures", {}):
            yield f"{key}.structure: no structure {system['structure']!r}"
        if system["crystal_class"] not in phases.get("classes", {}):
            yield f"{key}.crystal_class: no class {system['crystal_class']!r} in phases.classes"
