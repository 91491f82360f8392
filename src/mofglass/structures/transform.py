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


#: Neutron X-H bond lengths (Å), the averages crystallographers normalise X-ray H
#: positions to (F. H. Allen and I. J. Bruno, Acta Cryst. B 2010, 66, 380): aromatic
#: C-H, N-H, O-H.
NEUTRON_XH_A = {"C": 1.083, "N": 1.009, "O": 0.983}


def normalise_hydrogens(atoms: Atoms, lengths: dict[str, float] | None = None) -> Atoms:
    """Each H moved along its bond to the nearest heavy atom X to the neutron X-H
    length (:data:`NEUTRON_XH_A`). X-ray structures place H on the electron density,
    0.1-0.15 Å too close (MOF-5's C-H 0.93 Å): a potential then starts with every C-H
    compressed, and MD with a 1000 K spike. Elements without a length keep their H."""
    import numpy as np
    from ase.neighborlist import neighbor_list

    lengths = NEUTRON_XH_A if lengths is None else lengths
    moved = atoms.copy()
    symbols = np.array(atoms.get_chemical_symbols())
    i, j, d, vec = neighbor_list("ijdD", atoms, 1.3)
    for h in np.flatnonzero(symbols == "H"):
        partners = np.flatnonzero((i == h) & (symbols[j] != "H"))
        if not len(partners):
            continue
        k = partners[np.argmin(d[partners])]
        target = lengths.get(symbols[j[k]])
        if target is not None:
            moved.positions[h] = atoms.positions[j[k]] - vec[k] * target / d[k]
    return moved
