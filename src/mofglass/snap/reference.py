"""The reference potential a SNAP is fitted on top of and runs with: ZBL cores on
chosen pairs, harmonic walls, keepers (repulsive pair tables that hold a linker's
bonds) and pair splines; the LAMMPS type pairs of two elements.

Units: Å, eV.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.neighborlist import neighbor_list
from ase.stress import full_3x3_to_voigt_6_stress
from ase.units import GPa

from ..lammps import (
    atom_types,
    stress_to_lammps_frame,
    to_lammps_frame,
    type_elements,
)


@dataclass(frozen=True)
class ZBL:
    """Ziegler-Biersack-Littmark core repulsion on element pairs, switched off between
    ``inner_A`` and ``outer_A`` (Å)."""

    pairs: tuple[tuple[str, str], ...]
    inner_A: float = 1.8
    outer_A: float = 2.3


@dataclass(frozen=True)
class Walls:
    """Harmonic walls ``k (r0 - r)^2`` for r < r0 on element pairs (eV, Å): the edge of
    the training data. A linear SNAP fitted to a few near-equilibrium frames knows
    nothing about shorter contacts and may pull atoms together without limit; the walls
    keep MD inside the region the data cover. They are zero on every training frame."""

    pairs: tuple[tuple[str, str, float], ...]
    k_eV_per_A2: float = 50.0

    @classmethod
    def from_frames(
        cls,
        frames: Sequence[Atoms],
        species: Sequence[str],
        radius: float,
        margin_A: float,
        k_eV_per_A2: float,
    ) -> Walls:
        """A wall for every element pair of ``species`` (elements, or atom types by
        their element), ``margin_A`` below its shortest distance in ``frames``; a pair
        never closer than ``radius`` gets its wall at ``radius``."""
        shortest = {pair: radius for pair in _pairs(sorted(set(type_elements(species))))}
        for atoms in frames:
            i, j, d = neighbor_list("ijd", atoms, radius)
            symbols = np.array(atoms.get_chemical_symbols())
            for pair in shortest:
                mask = (symbols[i] == pair[0]) & (symbols[j] == pair[1])
                if mask.any():
                    shortest[pair] = min(shortest[pair], float(d[mask].min()))
        return cls(
            tuple((a, b, max(0.0, r - margin_A)) for (a, b), r in shortest.items()),
            k_eV_per_A2,
        )

    def commands(self, species: Sequence[str]) -> list[str]:
        lines = ["pair_coeff * * harmonic/cut 0.0 1.0"]  # no wall where none is listed
        for a, b, r0 in self.pairs:
            for i, j in type_pairs(species, a, b):
                lines.append(f"pair_coeff {i} {j} harmonic/cut {self.k_eV_per_A2!r} {r0!r}")
        return lines

    def record(self) -> dict:
        return {"k_eV_per_A2": self.k_eV_per_A2, "pairs": [list(p) for p in self.pairs]}

    @classmethod
    def from_record(cls, record: Mapping | None) -> Walls | None:
        """Walls as fitted (``fit.json``); None for none, or for a config block's
        ``{margin_A, k_eV_per_A2}``, whose walls come from the data at fit time."""
        if not record or "pairs" not in record:
            return None
        pairs = tuple((a, b, float(r)) for a, b, r in record["pairs"])
        return cls(pairs, float(record["k_eV_per_A2"]))


@dataclass(frozen=True)
class Keepers:
    """Barriers that keep covalent bonds whole (eV, Å): ``height sin²(π (r - lo)/(hi - lo))``
    for ``lo < r < hi`` on species pairs ``(a, b, lo, hi)``, zero elsewhere; part of the
    reference potential, which the fit subtracts from its targets.

    A linear SNAP knows nothing of a linker bond stretched past the longest ones in its
    data, and at a melt's temperature it lets such bonds break (a C-N bond of an
    imidazolate takes about 5 eV to break: no teacher breaks one at 1500 K within
    picoseconds). A keeper starts ``stretch`` past the pair's typical bond, where the
    data hardly go, and holds the bond as a bonded force field's unbreakable linkers do
    (nb-ZIF-FF for ZIF-4). Metal-donor pairs are left out by the config: breaking them
    is the melt's physics. Written as numpy rows for the fit and deployed as a LAMMPS
    ``table`` (no LAMMPS pair style has a bump confined to a window).
    """

    pairs: tuple[tuple[str, str, float, float], ...]
    height_eV: float = 5.0
    table_points: int = 4000
    table_inner_A: float = 0.05

    @classmethod
    def from_frames(
        cls,
        frames: Sequence[Atoms],
        species: Sequence[str],
        elements: Sequence[Sequence[str]],
        stretch_A: float,
        width_A: float,
        height_eV: float,
        bond_A: float = 1.7,
    ) -> Keepers:
        """A keeper for every pair of ``species`` (elements or atom types) whose elements
        are one of ``elements`` and which is bonded in ``frames`` (distances below
        ``bond_A`` in at least half of the frames: a pair that comes that close only in a
        broken frame, a C2 and a C4/5 squeezed together, is not a bond): from ``stretch_A`` past
        its median bond length, ``width_A`` wide."""
        wanted = {tuple(sorted(p)) for p in elements}
        names = np.asarray(species)
        kinds = [
            (a, b)
            for a, b in _pairs(list(species))
            if tuple(sorted(type_elements([a, b]))) in wanted
        ]
        found: dict[tuple[str, str], list[np.ndarray]] = {k: [] for k in kinds}
        for atoms in frames:
            label = names[atom_types(atoms, species) - 1]
            i, j, d = neighbor_list("ijd", atoms, bond_A)
            for a, b in kinds:
                found[(a, b)].append(d[(label[i] == a) & (label[j] == b)])
        pairs = []
        for (a, b), chunks in found.items():
            d = np.concatenate(chunks) if chunks else np.empty(0)
            if d.size and np.median([c.size for c in chunks]) > 0:
                lo = float(np.median(d)) + stretch_A
                pairs.append((a, b, lo, lo + width_A))
        return cls(tuple(pairs), height_eV)

    def reach(self) -> float:
        """The longest keeper's end (Å)."""
        return max(hi for *_, hi in self.pairs)

    def rows(
        self, atoms: Atoms, species: Sequence[str], types: np.ndarray, rot: np.ndarray
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """Energy (eV/atom), forces (eV/Å, flat) and stress (GPa, ASE sign) of the
        keepers on one frame (LAMMPS types ``types``), in LAMMPS's frame."""
        label = np.asarray(species)[np.asarray(types) - 1]
        i, j, d, vec = neighbor_list("ijdD", atoms, self.reach())
        energy, forces, stress = 0.0, np.zeros((len(atoms), 3)), np.zeros((3, 3))
        for a, b, lo, hi in self.pairs:
            mask = (label[i] == a) & (label[j] == b)
            if a != b:
                mask |= (label[i] == b) & (label[j] == a)
            if not mask.any():
                continue
            e, f = self.energy(d[mask], lo, hi)
            slope = -f  # dE/dr
            unit = vec[mask] / d[mask, None]
            energy += 0.5 * e.sum()  # every pair appears as (i, j) and (j, i)
            np.add.at(forces, i[mask], slope[:, None] * unit)  # F_i = E'(d) D/d
            stress += 0.5 * np.einsum("pa,pb,p->ab", vec[mask], unit, slope)
        stress /= atoms.get_volume()
        voigt = stress_to_lammps_frame(rot, full_3x3_to_voigt_6_stress(stress)) / GPa
        return energy / len(atoms), to_lammps_frame(rot, forces).ravel(), voigt

    def energy(self, r: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
        """Energy (eV) and force ``-dE/dr`` (eV/Å) of one keeper at distances ``r`` (Å)."""
        x = (np.asarray(r, dtype=float) - lo) / (hi - lo)
        inside = (x > 0.0) & (x < 1.0)
        energy = np.where(inside, self.height_eV * np.sin(np.pi * x) ** 2, 0.0)
        force = np.where(inside, -self.height_eV * np.pi / (hi - lo) * np.sin(2 * np.pi * x), 0.0)
        return energy, force

    def acting(self, atoms: Atoms, species: Sequence[str], at_least_eV: float = 0.1) -> bool:
        """Whether the keepers hold a bond of ``atoms`` (their energy above ``at_least_eV``):
        a frame whose linker is breaking, outside what a kept student is for."""
        types = atom_types(atoms, species)
        return self.rows(atoms, species, types, np.eye(3))[0] * len(atoms) > at_least_eV

    @staticmethod
    def keyword(a: str, b: str) -> str:
        return f"KEEP_{a}_{b}"

    def table_text(self) -> str:
        """A LAMMPS ``pair_style table`` file: per pair, energy (eV) and force (eV/Å)."""
        lines = ["# mofglass SNAP keepers: r (Å), energy (eV), force -dE/dr (eV/Å)", ""]
        for a, b, lo, hi in self.pairs:
            r = np.linspace(self.table_inner_A, hi, self.table_points)
            e, f = self.energy(r, lo, hi)
            lines += [self.keyword(a, b), f"N {r.size} R {float(r[0])!r} {float(r[-1])!r}", ""]
            lines += [f"{k + 1} {r[k]:.17e} {e[k]:.17e} {f[k]:.17e}" for k in range(r.size)]
            lines.append("")
        return "\n".join(lines)

    def commands(self, species: Sequence[str], table_file: str, style: str) -> list[str]:
        """``pair_coeff`` lines of the keepers as the hybrid sub-style ``style``."""
        lines = []
        for a, b, _, hi in self.pairs:
            i, j = sorted((list(species).index(a) + 1, list(species).index(b) + 1))
            lines.append(f"pair_coeff {i} {j} {style} {table_file} {self.keyword(a, b)} {hi!r}")
        return lines

    def style(self) -> str:
        return f"table linear {self.table_points}"

    def record(self) -> dict:
        return {"height_eV": self.height_eV, "pairs": [list(p) for p in self.pairs]}

    @classmethod
    def from_record(cls, record: Mapping | None) -> Keepers | None:
        """Keepers as fitted (``fit.json``); None for none, or for a config block, whose
        keepers come from the data at fit time."""
        if not record or "stretch_A" in record:
            return None
        pairs = tuple((a, b, float(lo), float(hi)) for a, b, lo, hi in record["pairs"])
        return cls(pairs, float(record["height_eV"])) if pairs else None


@dataclass(frozen=True)
class PairSplines:
    """Radial pair terms fitted with the SNAP, linear in their coefficients: per element
    pair, ``knots`` uniform cubic B-splines that vanish with two derivatives at
    ``r_min_A`` and ``r_max_A`` (Å). They give the fit direct control of a bond's
    restoring force between its equilibrium and its cutoff (Zn-N in a ZIF), which a
    bispectrum of 40 neighbours resolves poorly. Deployed as a LAMMPS ``table``.

    B-splines are written here (with scipy's ``BSpline.basis_element``) because no
    LAMMPS pair style fits its own radial basis; the table format is LAMMPS's own.
    """

    pairs: tuple[tuple[str, str], ...]
    r_min_A: float = 1.6
    r_max_A: float = 4.5
    knots: int = 12
    table_points: int = 6000
    table_inner_A: float = 0.05

    @property
    def n_columns(self) -> int:
        return len(self.pairs) * self.knots

    def _elements(self):
        from scipy.interpolate import BSpline

        h = (self.r_max_A - self.r_min_A) / (self.knots + 3)
        t = self.r_min_A + h * np.arange(self.knots + 4)
        return [BSpline.basis_element(t[k : k + 5], extrapolate=False) for k in range(self.knots)]

    def basis(self, r: np.ndarray, derivative: bool = False) -> np.ndarray:
        """Values (or r-derivatives, 1/Å) of the basis at distances ``r``: (len(r), knots)."""
        r = np.asarray(r, dtype=float)
        out = np.empty((r.size, self.knots))
        for k, element in enumerate(self._elements()):
            f = element.derivative() if derivative else element
            out[:, k] = np.nan_to_num(f(r), nan=0.0)
        return out

    def rows(self, atoms: Atoms, rot: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Energy (per atom, eV/atom), force (eV/Å) and stress (GPa, ASE sign) rows of
        the pair basis for one frame, in LAMMPS's frame like the SNAP rows."""
        n = len(atoms)
        symbols = np.array(atoms.get_chemical_symbols())
        i, j, d, vec = neighbor_list("ijdD", atoms, self.r_max_A)
        energy = np.zeros(self.n_columns)
        forces = np.zeros((n, 3, self.n_columns))
        stress = np.zeros((3, 3, self.n_columns))
        for p, (a, b) in enumerate(self.pairs):
            mask = (symbols[i] == a) & (symbols[j] == b)
            weight = 0.5 if a == b else 1.0  # a-a pairs appear as (i, j) and (j, i)
            if not mask.any():
                continue
            cols = slice(p * self.knots, (p + 1) * self.knots)
            value = self.basis(d[mask])
            slope = self.basis(d[mask], derivative=True) * weight
            unit = vec[mask] / d[mask, None]
            energy[cols] += weight * value.sum(axis=0)
            # F_i = phi'(d) D/d, F_j = -phi'(d) D/d, with D = r_j - r_i
            push = unit[:, :, None] * slope[:, None, :]
            np.add.at(forces[:, :, cols], i[mask], push)
            np.add.at(forces[:, :, cols], j[mask], -push)
            # sigma = (1/V) sum phi'(d) D (x) D / d
            stress[:, :, cols] += np.einsum("pa,pb,pk->abk", vec[mask], unit, slope, optimize=True)
        stress /= atoms.get_volume()
        forces_l = np.stack(
            [to_lammps_frame(rot, forces[:, :, c]).ravel() for c in range(self.n_columns)], 1
        )
        stress_l = np.stack(
            [
                stress_to_lammps_frame(rot, full_3x3_to_voigt_6_stress(stress[:, :, c])) / GPa
                for c in range(self.n_columns)
            ],
            1,
        )
        return energy / n, forces_l, stress_l

    def table_text(self, coefficients: np.ndarray) -> str:
        """A LAMMPS ``pair_style table`` file: per pair, energy (eV) and force (eV/Å)."""
        r = np.linspace(self.table_inner_A, self.r_max_A, self.table_points)
        value, slope = self.basis(r), self.basis(r, derivative=True)
        lines = ["# mofglass SNAP pair splines: r (Å), energy (eV), force -dE/dr (eV/Å)", ""]
        for p, (a, b) in enumerate(self.pairs):
            c = coefficients[p * self.knots : (p + 1) * self.knots]
            e, f = value @ c, -(slope @ c)
            lines += [self.keyword(a, b), f"N {r.size} R {float(r[0])!r} {float(r[-1])!r}", ""]
            lines += [f"{k + 1} {r[k]:.17e} {e[k]:.17e} {f[k]:.17e}" for k in range(r.size)]
            lines.append("")
        return "\n".join(lines)

    @staticmethod
    def keyword(a: str, b: str) -> str:
        return f"PAIR_{a}_{b}"

    def commands(self, species: Sequence[str], table_file: str, style: str = "table") -> list[str]:
        """``pair_coeff`` lines of the splines as the hybrid sub-style ``style``."""
        lines = []
        for a, b in self.pairs:
            i, j = sorted((species.index(a) + 1, species.index(b) + 1))
            lines.append(
                f"pair_coeff {i} {j} {style} {table_file} {self.keyword(a, b)} {self.r_max_A!r}"
            )
        return lines

    def style(self) -> str:
        return f"table spline {self.table_points}"

    def record(self) -> dict:
        return {
            "pairs": [list(p) for p in self.pairs],
            "r_min_A": self.r_min_A,
            "r_max_A": self.r_max_A,
            "knots": self.knots,
        }

    @classmethod
    def from_config(cls, block: Mapping | None) -> PairSplines | None:
        if not block or not block.get("pairs"):
            return None
        return cls(
            tuple(tuple(sorted(p)) for p in block["pairs"]),
            float(block.get("r_min_A", 1.6)),
            float(block.get("r_max_A", 4.5)),
            int(block.get("knots", 12)),
        )


def _pairs(species: Sequence[str]) -> list[tuple[str, str]]:
    return [(a, b) for n, a in enumerate(species) for b in species[n:]]


def type_pairs(species: Sequence[str], a: str, b: str) -> list[tuple[int, int]]:
    """The LAMMPS type pairs (i <= j, 1-based) of elements ``a`` and ``b``: one for a
    model by element, every pair of their atom types for a model by atom type."""
    elements = type_elements(species)
    return [
        (i, j)
        for i, j in _pairs(range(1, len(elements) + 1))
        if sorted((elements[i - 1], elements[j - 1])) == sorted((a, b))
    ]
