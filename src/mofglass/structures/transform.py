"""Supercells, primitive cells and isotropic volume scaling."""

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


def primitive_cell(atoms: Atoms, symprec: float = 0.01) -> Atoms:
    """The primitive cell of a centred crystal (spglib, positions not idealised): 138 of
    ZIF-8's 276 atoms, 106 of MOF-5's 424. A primitive cell comes back unchanged.
    ``symprec`` is spglib's position tolerance in Å."""
    import spglib

    cell = (atoms.cell[:], atoms.get_scaled_positions(), atoms.numbers)
    found = spglib.standardize_cell(cell, to_primitive=True, no_idealize=True, symprec=symprec)
    if found is None or len(found[2]) >= len(atoms):
        return atoms.copy()
    lattice, scaled, numbers = found
    primitive = Atoms(numbers=numbers, scaled_positions=scaled, cell=lattice, pbc=True)
    primitive.info = dict(atoms.info)
    return primitive
