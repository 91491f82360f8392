"""The stability watch: is a frame still a sane ZIF? Called on every frame an MD
engine writes (between run segments), so a run that breaks stops there."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers, covalent_radii
from matscipy.neighbours import neighbour_list

from ..analysis import ZN_N_CUTOFF, coordination, mic


class StabilityWatch:
    """Checks that a frame is still a sane ZIF: no close contacts, no broken linker
    C-N or C-C bond, every Zn with 2-6 N neighbours. Linker bonds are taken from a
    reference structure (the run's start), so a bond stays watched after it breaks.
    """

    def __init__(
        self,
        reference: Atoms,
        close_contact_A: float = 0.7,
        linker_bond_max_A: float = 2.0,
        zn_coordination: tuple[int, int] = (2, 6),
        zn_n_cutoff: float = ZN_N_CUTOFF,
    ):
        self.close_contact_A = close_contact_A
        self.linker_bond_max_A = linker_bond_max_A
        self.zn_coordination = zn_coordination
        self.zn_n_cutoff = zn_n_cutoff
        symbols = np.array(reference.get_chemical_symbols())
        heavy = np.isin(symbols, ("C", "N"))
        radius = {s: covalent_radii[atomic_numbers[s]] for s in ("C", "N")}
        cutoffs = {(a, b): 1.2 * (radius[a] + radius[b]) for a in radius for b in radius}
        i, j = neighbour_list("ij", reference, cutoffs)
        keep = heavy[i] & heavy[j] & (i < j) & ~((symbols[i] == "N") & (symbols[j] == "N"))
        self.bonds = np.column_stack([i[keep], j[keep]])
        self.symbols = symbols

    @classmethod
    def from_config(cls, reference: Atoms, block: Mapping) -> StabilityWatch:
        """The watch of a ``meltquench.watch`` config block."""
        return cls(
            reference,
            close_contact_A=block["close_contact_A"],
            linker_bond_max_A=block["linker_bond_max_A"],
            zn_coordination=tuple(block["zn_coordination"]),
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
        if len(self.bonds):
            lengths = _bond_lengths(atoms, self.bonds)
            worst = int(np.argmax(lengths))
            if lengths[worst] > self.linker_bond_max_A:
                a, b = self.bonds[worst]
                out.append(
                    f"broken linker: {self.symbols[a]}{a}-{self.symbols[b]}{b} "
                    f"{lengths[worst]:.2f} Å > {self.linker_bond_max_A} Å"
                )
        if "Zn" in self.symbols:
            cn = coordination(atoms, self.zn_n_cutoff)
            low, high = self.zn_coordination
            bad = np.flatnonzero((cn < low) | (cn > high))
            if len(bad):
                out.append(
                    f"Zn coordination outside {low}-{high}: {len(bad)} Zn, e.g. {int(cn[bad[0]])}"
                )
        return out


def _bond_lengths(atoms: Atoms, bonds: np.ndarray) -> np.ndarray:
    vectors = mic(atoms.positions[bonds[:, 1]] - atoms.positions[bonds[:, 0]], atoms)
    return np.linalg.norm(vectors, axis=1)
