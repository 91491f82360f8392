"""Supercells and isotropic volume scaling."""

from __future__ import annotations

from collections.abc import Sequence

from ase import Atoms


def supercell(atoms: Atoms, repeat: Sequence[int]) -> Atoms:
    """Repeat the cell ``repeat = (n1, n2, n3)`` times along its three lattice vectors."""
    if len(repeat) != 3 or any(int(n) < 1 for n in repeat):
        raise ValueError(f"supercell repeat must be three positive integers, got {list(repeat)}")
    return atoms.repeat(tuple(int(n) for n in repeat))


def scale_volume(atoms: Atoms, volume_scale: float) -> Atoms:
    """Scale the cell isotropically to ``volume_scale`` times its volume, atoms moving with it."""
    if volume_scale <= 0:
        raise ValueError(f"volume scale must be positive, got {volume_scale}")
    scaled = atoms.copy()
    scaled.set_cell(atoms.cell * volume_scale ** (1.0 / 3.0), scale_atoms=True)
    return scaled
