"""Sanity checks on a structure before it enters any calculation."""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.data import chemical_symbols
from ase.neighborlist import natural_cutoffs, neighbor_list


class StructureError(ValueError):
    """A structure that cannot be used, with the reason in the message."""


def check_structure(atoms: Atoms, source: str = "structure", overlap_factor: float = 0.5) -> None:
    """Raise :class:`StructureError` unless ``atoms`` is a usable periodic crystal.

    Checks: at least one atom; known chemical elements; a periodic cell of positive
    volume; finite positions; no two atoms closer than ``overlap_factor`` times the sum
    of their covalent radii (overlapping or duplicated sites, typically a symmetry or
    occupancy problem in a CIF).
    """
    if len(atoms) == 0:
        raise StructureError(f"{source}: contains no atoms")
    unknown = sorted({s for s in atoms.get_chemical_symbols() if s not in chemical_symbols[1:]})
    if unknown:
        raise StructureError(f"{source}: unknown chemical element(s) {', '.join(unknown)}")
    if not atoms.pbc.all():
        raise StructureError(
            f"{source}: not periodic in all three directions (pbc={atoms.pbc.tolist()}); "
            "a crystal with a full 3D cell is required"
        )
    volume = abs(atoms.cell.volume) if atoms.cell.rank == 3 else 0.0
    if volume < 1e-6:
        raise StructureError(f"{source}: the cell has no volume (cell={atoms.cell.tolist()})")
    if not np.isfinite(atoms.positions).all():
        raise StructureError(f"{source}: non-finite atomic positions")
    cutoffs = natural_cutoffs(atoms, mult=overlap_factor)
    i, j, d = neighbor_list("ijd", atoms, cutoffs, self_interaction=False)
    if len(d):
        k = int(np.argmin(d))
        a, b = int(i[k]), int(j[k])
        limit = cutoffs[a] + cutoffs[b]
        raise StructureError(
            f"{source}: {len(d) // 2} overlapping atom pair(s); closest are atom {a} "
            f"({atoms[a].symbol}) and atom {b} ({atoms[b].symbol}), {d[k]:.3f} Å apart "
            f"(limit {limit:.3f} Å = {overlap_factor} x sum of covalent radii). "
            "Check the file for duplicated sites, partial occupancies or wrong symmetry."
        )
