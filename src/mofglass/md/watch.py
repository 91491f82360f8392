"""The stability watch: is a frame still a sane framework? Called on every frame an MD
engine writes (between run segments), so a run that breaks stops there. What to watch
(the metal, its donors and their cutoff, the coordination range, the linker bonds)
comes from the structure's chemistry (:mod:`mofglass.chemistry`)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers, covalent_radii
from matscipy.neighbours import neighbour_list

from ..analysis import coordination, mic
from ..chemistry import COVALENT_BOND_SCALE, Chemistry, ChemistryError, derive


class StabilityWatch:
    """Checks that a frame is still a sane framework: no close contacts, no broken
    linker bond (the chemistry's ``linker_bonds``: C-N and C-C in a ZIF; and each linker
    H with the atom it is bonded to: an H that moves to another atom is a broken
    linker, not a melt), every metal with a donor count in its range (2-6 N on each Zn
    in a ZIF). Linker bonds are taken from a reference structure (the run's start), so
    a bond stays watched after it breaks. ``chemistry`` is read from the reference when
    not given; a reference that is no framework (no metal, no linker: a Lennard-Jones
    liquid) is watched for close contacts only.
    """

    def __init__(
        self,
        reference: Atoms,
        close_contact_A: float = 0.7,
        linker_bond_max_A: float = 2.0,
        coordination: tuple[int, int] | None = None,
        chemistry: Chemistry | None = None,
    ):
        if chemistry is None:
            try:
                chemistry = derive(reference)
            except ChemistryError:
                chemistry = None
        self.chemistry = chemistry
        self.close_contact_A = close_contact_A
        self.linker_bond_max_A = linker_bond_max_A
        self.coordination = coordination or (chemistry.coordination_range if chemistry else None)
        symbols = np.array(reference.get_chemical_symbols())
        pairs = chemistry.linker_bonds if chemistry else ()
        elements = sorted({e for p in pairs for e in p})
        radius = {s: covalent_radii[atomic_numbers[s]] for s in elements}
        cutoffs = {}
        for a, b in pairs:
            cutoffs[(a, b)] = cutoffs[(b, a)] = COVALENT_BOND_SCALE * (radius[a] + radius[b])
        i, j = neighbour_list("ij", reference, cutoffs) if cutoffs else ([], [])
        i, j = np.asarray(i, int), np.asarray(j, int)
        self.bonds = np.column_stack([i[i < j], j[i < j]])
        self.hydrogens = (
            _hydrogen_bonds(reference, elements) if chemistry else np.zeros((0, 2), int)
        )
        self.symbols = symbols

    @classmethod
    def from_config(
        cls, reference: Atoms, block: Mapping, chemistry: Chemistry | None = None
    ) -> StabilityWatch:
        """The watch of a ``meltquench.watch`` config block (its ``coordination``
        null: the chemistry's range; the chemistry a job put in it with
        :func:`with_chemistry`, else read from ``reference``)."""
        if chemistry is None and block.get("chemistry"):
            chemistry = Chemistry.from_dict(block["chemistry"])
        return cls(
            reference,
            close_contact_A=block["close_contact_A"],
            linker_bond_max_A=block["linker_bond_max_A"],
            coordination=block.get("coordination"),
            chemistry=chemistry,
        )

    def problems(self, atoms: Atoms) -> list[str]:
        """Every violation in the frame (empty: the frame is sane)."""
        out = []
        i, j, d = neighbour_list("ijd", atoms, self.close_contact_A)
        if len(i):
            k = int(np.argmin(d))
            out.append(
                f"close contact: {self.symbols[i[k]]}{i[k]}-{self.symbols[j[k]]}{j[k]} "
                f"{d[k]:.2f} Å < {self.close_contact_A} Å"
            )
        for bonds in (self.bonds, self.hydrogens):
            if not len(bonds):
                continue
            lengths = _bond_lengths(atoms, bonds)
            worst = int(np.argmax(lengths))
            if lengths[worst] > self.linker_bond_max_A:
                a, b = bonds[worst]
                out.append(
                    f"broken linker: {self.symbols[a]}{a}-{self.symbols[b]}{b} "
                    f"{lengths[worst]:.2f} Å > {self.linker_bond_max_A} Å"
                )
                break
        chem = self.chemistry
        if chem is not None and chem.metal in self.symbols:
            metal = chem.metal
            cn = coordination(atoms, chem.cutoff_A, metal, chem.donor)
            low, high = self.coordination
            bad = np.flatnonzero((cn < low) | (cn > high))
            if len(bad):
                out.append(
                    f"{metal} coordination outside {low}-{high}: {len(bad)} {metal}, "
                    f"e.g. {int(cn[bad[0]])}"
                )
        return out


def _hydrogen_bonds(reference: Atoms, elements: list[str]) -> np.ndarray:
    """(X, H) pairs of the reference: each H with the nearest linker atom (element in
    ``elements``) within the covalent bond length times COVALENT_BOND_SCALE."""
    symbols = np.array(reference.get_chemical_symbols())
    if "H" not in symbols or not elements:
        return np.zeros((0, 2), int)
    r_h = covalent_radii[atomic_numbers["H"]]
    cutoffs = {}
    for x in elements:
        cutoffs[("H", x)] = COVALENT_BOND_SCALE * (r_h + covalent_radii[atomic_numbers[x]])
    i, j, d = neighbour_list("ijd", reference, cutoffs)
    owner: dict[int, tuple[float, int]] = {}
    for a, b, r in zip(i, j, d, strict=True):
        if symbols[a] == "H" and symbols[b] != "H" and r < owner.get(int(a), (np.inf, -1))[0]:
            owner[int(a)] = (float(r), int(b))
    return np.array([(b, h) for h, (_, b) in sorted(owner.items())], dtype=int).reshape(-1, 2)


def _bond_lengths(atoms: Atoms, bonds: np.ndarray) -> np.ndarray:
    vectors = mic(atoms.positions[bonds[:, 1]] - atoms.positions[bonds[:, 0]], atoms)
    return np.linalg.norm(vectors, axis=1)


def with_chemistry(block: Mapping | None, chemistry: Chemistry | None) -> Mapping | None:
    """A watch config block that carries ``chemistry`` (the structure's, with the
    config's overrides) to :meth:`StabilityWatch.from_config`; unchanged when either
    is None (the watch then reads the chemistry from the run's start)."""
    if block is None or chemistry is None:
        return block
    return {**block, "chemistry": chemistry.to_dict()}
