"""SNAP: a potential linear in bispectrum components (Thompson et al.), fitted here.

Descriptors come from LAMMPS's ``compute snap`` (ML-SNAP package) through its Python
module: per frame one energy row (bispectrum sums per element), 3N force rows and six
virial rows, plus the contributions of an optional reference potential (ZBL core
repulsion, walls) which the fit subtracts from the targets. The coefficients are a weighted
ridge solution; each element also gets a constant term, its reference energy (eV).
Hyper-parameters (cutoff factor, element radii and weights, regularisation) are tuned
against the validation split with SciPy.

Units: energies eV (rows per atom), forces eV/Å, stress rows GPa (ASE sign: positive
is tensile). Rows are built in LAMMPS's frame; targets are rotated into it.

The fitting itself is written here rather than taken from FitSNAP because FitSNAP is
not on PyPI and needs its own MPI stack; what it does for a linear SNAP is small:
build rows with ``compute snap``, weight them, solve a least-squares problem.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers
from ase.neighborlist import neighbor_list
from ase.stress import full_3x3_to_voigt_6_stress
from ase.units import GPa
from scipy.linalg import lstsq
from scipy.optimize import minimize, minimize_scalar

from .frames import attach_results
from .lammps import (
    BAR,
    LAMMPSError,
    atom_types,
    lammps_module,
    load_atoms,
    new_lammps,
    stress_to_ase_frame,
    stress_to_lammps_frame,
    to_ase_frame,
    to_lammps_frame,
    type_elements,
)

log = logging.getLogger(__name__)

COEFF_FILE = "mofglass.snapcoeff"
TABLE_FILE = "mofglass.pairtable"
KEEPER_FILE = "mofglass.keepers"
PARAM_FILE = "mofglass.snapparam"


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


@dataclass(frozen=True)
class SNAPSettings:
    """Bispectrum settings: cutoff of a pair i-j is ``rcutfac * (R_i + R_j)`` (Å)."""

    species: tuple[str, ...]
    twojmax: int = 6
    quadratic: bool = False  # LAMMPS's quadraticflag: products of bispectrum components
    rcutfac: float = 4.5
    rfac0: float = 0.99363
    rmin0: float = 0.0
    radii: Mapping[str, float] = field(default_factory=dict)
    weights: Mapping[str, float] = field(default_factory=dict)
    zbl: ZBL | None = None
    walls: Walls | None = None
    pair_splines: PairSplines | None = None
    keepers: Keepers | None = None

    @property
    def n_extra(self) -> int:
        """Columns after the per-element SNAP blocks (the pair splines')."""
        return self.pair_splines.n_columns if self.pair_splines else 0

    def _lists(self) -> tuple[str, str]:
        radii = " ".join(repr(float(self.radii[s])) for s in self.species)
        weights = " ".join(repr(float(self.weights[s])) for s in self.species)
        return radii, weights

    def compute_command(self, name: str = "mofglass_snap") -> str:
        radii, weights = self._lists()
        return (
            f"compute {name} all snap {self.rcutfac!r} {self.rfac0!r} {self.twojmax} "
            f"{radii} {weights} rmin0 {self.rmin0!r} bzeroflag 0 "
            f"quadraticflag {int(self.quadratic)} switchflag 1"
        )

    def cutoff(self) -> float:
        """The longest pair cutoff (Å)."""
        return self.rcutfac * 2 * max(float(self.radii[s]) for s in self.species)

    def _reference(self) -> tuple[list[str], list[str]]:
        """Sub-styles of the reference potential and their coefficient lines."""
        styles, lines = [], []
        if self.walls is not None:
            styles.append("harmonic/cut")
            lines += self.walls.commands(self.species)
        if self.zbl is not None:
            styles.append(f"zbl {self.zbl.inner_A!r} {self.zbl.outer_A!r}")
            lines += self._zbl_coeffs()
        return styles, lines

    def reference_commands(self) -> list[str]:
        """Pair style active while computing descriptors: the reference part (walls,
        ZBL), or nothing (the ``zero`` style only provides a neighbour list as long as
        the SNAP cutoff)."""
        zero = f"zero {self.cutoff() + 0.01!r}"
        styles, lines = self._reference()
        if not styles:
            return [f"pair_style {zero}", "pair_coeff * *"]
        return [
            f"pair_style hybrid/overlay {zero} {' '.join(styles)}",
            "pair_coeff * * zero",
        ] + lines

    def _zbl_coeffs(self) -> list[str]:
        """ZBL on each element pair named: every pair of LAMMPS types of those elements."""
        lines = []
        for a, b in self.zbl.pairs:
            for i, j in type_pairs(self.species, a, b):
                lines.append(f"pair_coeff {i} {j} zbl {atomic_numbers[a]} {atomic_numbers[b]}")
        return lines

    def pair_commands(self, directory: str = ".") -> list[str]:
        """The lines that load the fitted model (files in ``directory``)."""
        files = f"{directory}/{COEFF_FILE} {directory}/{PARAM_FILE} {' '.join(self.species)}"
        styles, lines = self._reference()
        both = self.pair_splines is not None and self.keepers is not None
        if self.pair_splines is not None:
            styles.append(self.pair_splines.style())
            lines += self.pair_splines.commands(
                self.species, f"{directory}/{TABLE_FILE}", "table 1" if both else "table"
            )
        if self.keepers is not None:
            styles.append(self.keepers.style())
            lines += self.keepers.commands(
                self.species, f"{directory}/{KEEPER_FILE}", "table 2" if both else "table"
            )
        if not styles:
            return ["pair_style snap", f"pair_coeff * * {files}"]
        return [
            f"pair_style hybrid/overlay {' '.join(styles)} snap",
            f"pair_coeff * * snap {files}",
            *lines,
        ]

    def pair_styles(self) -> list[str]:
        styles = ["snap"]
        if self.walls is not None:
            styles.append("harmonic/cut")
        if self.zbl is not None:
            styles.append("zbl")
        if self.pair_splines is not None or self.keepers is not None:
            styles.append("table")
        return styles if len(styles) == 1 else [*styles, "hybrid/overlay"]

    def param_text(self) -> str:
        return (
            "# mofglass SNAP parameters\n"
            f"rcutfac {self.rcutfac!r}\ntwojmax {self.twojmax}\nrfac0 {self.rfac0!r}\n"
            f"rmin0 {self.rmin0!r}\nbzeroflag 0\nquadraticflag {int(self.quadratic)}\n"
            "switchflag 1\n"
        )

    def coeff_text(self, coefficients: np.ndarray) -> str:
        """The snapcoeff file: per element its radius, weight, constant term and the
        bispectrum coefficients (eV), at full precision."""
        per = coefficients[: coefficients.size - self.n_extra].reshape(len(self.species), -1)
        lines = ["# mofglass SNAP coefficients (eV)", "", f"{len(self.species)} {per.shape[1]}"]
        for symbol, row in zip(self.species, per, strict=True):
            lines.append(f"{symbol} {float(self.radii[symbol])!r} {float(self.weights[symbol])!r}")
            lines += [f"{c:.17e}" for c in row]
        return "\n".join(lines) + "\n"


@dataclass
class Rows:
    """Design matrix and targets of one frame (LAMMPS frame).

    Columns: per element, its constant term then its bispectrum components. Energy row
    per atom (eV/atom), force rows (eV/Å), stress rows (GPa).
    """

    energy: np.ndarray
    forces: np.ndarray
    stress: np.ndarray
    ref_energy: float
    ref_forces: np.ndarray
    ref_stress: np.ndarray
    n_atoms: int
    rot: np.ndarray


def frame_rows(atoms: Atoms, settings: SNAPSettings) -> Rows:
    """``compute snap`` rows of one frame, with the reference potential's share."""
    lm = lammps_module()
    lmp = new_lammps()
    try:
        types = atom_types(atoms, settings.species)  # once: typing a frame reads its graph
        prism = load_atoms(lmp, atoms, settings.species, types=types)
        lmp.commands_list(settings.reference_commands())
        lmp.command(settings.compute_command())
        # compute snap's reference column gets the virial of some pair styles wrong
        # (harmonic/cut: tens of GPa); the reference stress comes from LAMMPS's own
        # pressure compute instead, which sees only the reference potential here
        lmp.command("compute mofglass_virial all pressure NULL virial")
        lmp.command("thermo_style custom step pe c_mofglass_snap[1][1] c_mofglass_virial[1]")
        lmp.command("run 0 post no")
        array = lmp.numpy.extract_compute(
            "mofglass_snap", lm.LMP_STYLE_GLOBAL, lm.LMP_TYPE_ARRAY
        ).copy()
        pressure = lmp.numpy.extract_compute(
            "mofglass_virial", lm.LMP_STYLE_GLOBAL, lm.LMP_TYPE_VECTOR
        ).copy()
        volume = lmp.get_thermo("vol")
    except Exception as exc:
        raise LAMMPSError(f"compute snap failed: {exc}") from exc
    finally:
        lmp.close()
    n = len(atoms)
    n_species = len(settings.species)
    ncoeff = (array.shape[1] - 1) // n_species
    counts = np.bincount(types, minlength=n_species + 1)[1:].astype(float)

    def with_constants(block: np.ndarray, constant: np.ndarray) -> np.ndarray:
        parts = []
        for k in range(n_species):
            parts.append(constant[:, k : k + 1])
            parts.append(block[:, k * ncoeff : (k + 1) * ncoeff])
        return np.hstack(parts)

    energy = with_constants(array[:1, :-1], counts[None, :]) / n
    forces = with_constants(array[1 : 1 + 3 * n, :-1], np.zeros((3 * n, n_species)))
    # virial rows W (eV): stress = -W / V; rows xx yy zz yz xz xy, in GPa
    virial = array[1 + 3 * n :, :-1]
    stress = with_constants(-virial / volume / GPa, np.zeros((6, n_species)))
    rot = prism.rot_mat.copy()
    ref_energy = array[0, -1] / n
    ref_forces = array[1 : 1 + 3 * n, -1].copy()
    # pressure (bar) xx yy zz xy xz yz -> stress rows (GPa) xx yy zz yz xz xy
    ref_stress = -pressure[[0, 1, 2, 5, 4, 3]] * BAR / GPa
    if settings.keepers is not None:
        k_energy, k_forces, k_stress = settings.keepers.rows(atoms, settings.species, types, rot)
        ref_energy, ref_forces, ref_stress = (
            ref_energy + k_energy,
            ref_forces + k_forces,
            ref_stress + k_stress,
        )
    if settings.pair_splines is not None:
        p_energy, p_forces, p_stress = settings.pair_splines.rows(atoms, rot)
        energy = np.hstack([energy, p_energy[None, :]])
        forces = np.hstack([forces, p_forces])
        stress = np.hstack([stress, p_stress])
    return Rows(
        energy=energy[0],
        forces=forces,
        stress=stress,
        ref_energy=ref_energy,
        ref_forces=ref_forces,
        ref_stress=ref_stress,
        n_atoms=n,
        rot=rot,
    )


@dataclass(frozen=True)
class RowWeights:
    """Weights of the residuals: energy (per eV/atom), forces (per eV/Å), stress (per
    GPa); ``element_forces`` multiplies the force weight of an element's atoms (a
    minority element, such as the 16 Zn among ZIF-4's 272 atoms, otherwise weighs
    little in the loss)."""

    energy: float = 100.0
    forces: float = 1.0
    stress: float = 1.0
    element_forces: Mapping[str, float] = field(default_factory=dict)

    def force_weights(self, atoms: Atoms) -> np.ndarray:
        """Weight of each force row of ``atoms`` (x, y, z per atom)."""
        per_atom = np.array(
            [self.forces * self.element_forces.get(s, 1.0) for s in atoms.get_chemical_symbols()]
        )
        return np.repeat(per_atom, 3)


def system(
    rows: Sequence[Rows], frames: Sequence[Atoms], weights: RowWeights
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack rows and targets (reference potential subtracted) with their weights."""
    xs, ys, ws = [], [], []
    for r, atoms in zip(rows, frames, strict=True):
        results = atoms.calc.results
        xs.append(r.energy[None, :])
        ys.append([results["energy"] / r.n_atoms - r.ref_energy])
        ws.append([weights.energy])
        forces = to_lammps_frame(r.rot, results["forces"])
        xs.append(r.forces)
        ys.append(forces.ravel() - r.ref_forces)
        ws.append(weights.force_weights(atoms))
        if "stress" in results and weights.stress > 0:
            stress = stress_to_lammps_frame(r.rot, np.asarray(results["stress"])) / GPa
            xs.append(r.stress)
            ys.append(stress - r.ref_stress)
            ws.append(np.full(6, weights.stress))
    return np.vstack(xs), np.concatenate(ys), np.concatenate(ws)


def solve(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float, n_species: int, n_extra: int = 0
) -> np.ndarray:
    """Weighted ridge solution, in two steps.

    First the per-element constants alone, from the energy rows: the minimum-norm
    least-squares reference energies (eV/atom) of the compositions, shared evenly where
    every frame has one composition. Then the
    ridge fit of everything on what the constants leave, columns scaled to unit RMS
    before the penalty ``alpha * |beta|^2``, constants included (a correction, now).
    """
    n_snap = x.shape[1] - n_extra  # per-element blocks first, pair splines after
    constants = np.arange(0, n_snap, n_snap // n_species)
    energy_rows = np.any(x[:, constants] != 0, axis=1)
    reference = np.zeros(x.shape[1])
    if energy_rows.any():
        rows = w[energy_rows, None]
        # singular values below 1e-10 of the largest are rounding, not information: a
        # composition shared by every frame leaves one, and the others would blow up
        fitted, *_ = lstsq(
            x[np.ix_(energy_rows, constants)] * rows, y[energy_rows] * rows[:, 0], cond=1e-10
        )
        reference[constants] = fitted
    y = y - x @ reference
    scale = np.sqrt(np.mean(x**2, axis=0))
    scale[scale == 0] = 1.0
    a = (x / scale) * w[:, None]
    b = y * w
    if alpha > 0:
        a = np.vstack([a, np.sqrt(alpha) * np.eye(x.shape[1])])
        b = np.concatenate([b, np.zeros(x.shape[1])])
    beta, *_ = lstsq(a, b, lapack_driver="gelsd", cond=None if alpha > 0 else 1e-10)
    return beta / scale + reference


def predict(rows: Rows, coefficients: np.ndarray, atoms: Atoms) -> Atoms:
    """The fit's own prediction for a frame (ASE frame), reference potential included."""
    energy = (rows.energy @ coefficients + rows.ref_energy) * rows.n_atoms
    forces = (rows.forces @ coefficients + rows.ref_forces).reshape(-1, 3)
    stress = (rows.stress @ coefficients + rows.ref_stress) * GPa
    result = atoms.copy()
    forces, stress = to_ase_frame(rows.rot, forces), stress_to_ase_frame(rows.rot, stress)
    attach_results(result, energy, forces, stress)
    return result


@dataclass
class Fit:
    """A fitted SNAP: settings, coefficients (eV) and the regularisation used."""

    settings: SNAPSettings
    coefficients: np.ndarray
    alpha: float
    validation_score: float = float("nan")
    trace: list[dict] = field(default_factory=list)


def bootstrap_members(
    train_frames: Sequence[Atoms], fit: Fit, weights: RowWeights, members: int, seed: int
) -> list[np.ndarray]:
    """Coefficients of a committee: the fit's tuned settings and regularisation solved
    again on ``members`` bootstrap resamples of the training frames (drawn with
    replacement, as many as there are), descriptors computed once."""
    rows = [frame_rows(a, fit.settings) for a in train_frames]
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(members):
        pick = rng.integers(0, len(train_frames), len(train_frames))
        x, y, w = system([rows[i] for i in pick], [train_frames[i] for i in pick], weights)
        out.append(solve(x, y, w, fit.alpha, len(fit.settings.species), fit.settings.n_extra))
    return out


def weighted_rmse(x, y, w, coefficients) -> float:
    return float(np.sqrt(np.mean((w * (x @ coefficients - y)) ** 2)))


def fit_alpha(
    train: tuple,
    validation: tuple | None,
    n_species: int,
    alpha: float,
    tune: bool,
    n_extra: int = 0,
) -> tuple[np.ndarray, float, float]:
    """Coefficients for ``alpha``, or for the alpha in [1e-10, 1e2] that minimises the
    weighted validation RMSE; returns (coefficients, alpha, validation score)."""
    if tune and validation is not None:

        def score(log_alpha: float) -> float:
            beta = solve(*train, 10.0**log_alpha, n_species, n_extra)
            return weighted_rmse(*validation, beta)

        best = minimize_scalar(
            score, bounds=(-10.0, 2.0), method="bounded", options={"xatol": 0.05}
        )
        alpha = 10.0 ** float(best.x)
    beta = solve(*train, alpha, n_species, n_extra)
    val = weighted_rmse(*validation, beta) if validation is not None else float("nan")
    return beta, alpha, val


def fit(
    train_frames: Sequence[Atoms],
    settings: SNAPSettings,
    weights: RowWeights,
    alpha: float = 1e-6,
    validation_frames: Sequence[Atoms] = (),
    tune: Mapping | None = None,
) -> Fit:
    """Fit SNAP coefficients; with ``tune`` and validation frames, also tune the cutoff
    factor, element radii and weights (Nelder-Mead, at most ``tune['max_evaluations']``
    descriptor recomputations) and the regularisation (bounded scalar search)."""
    n_species = len(settings.species)
    tune = dict(tune or {})
    tune_alpha = bool(tune.get("alpha", False)) and len(validation_frames) > 0

    def evaluate(s: SNAPSettings) -> tuple[np.ndarray, float, float]:
        train = system([frame_rows(a, s) for a in train_frames], train_frames, weights)
        validation = None
        if validation_frames:
            validation = system(
                [frame_rows(a, s) for a in validation_frames], validation_frames, weights
            )
        return fit_alpha(train, validation, n_species, alpha, tune_alpha, s.n_extra)

    hyper = bool(tune.get("cutoff") or tune.get("radii") or tune.get("weights"))
    trace: list[dict] = []
    if hyper and validation_frames:
        names, x0 = _parameters(settings, tune)

        def objective(x: np.ndarray) -> float:
            s = _settings_from(settings, names, x)
            _, a, score = evaluate(s)
            trace.append(
                {
                    "rcutfac": s.rcutfac,
                    "alpha": a,
                    "validation_score": score,
                    **{f"radius_{e}": s.radii[e] for e in s.species},
                    **{f"weight_{e}": s.weights[e] for e in s.species},
                }
            )
            log.info("tuning: %s -> weighted validation RMSE %.5g", _describe(s, a), score)
            return score if np.isfinite(score) else 1e30

        result = minimize(
            objective,
            x0,
            method="Nelder-Mead",
            options={
                "maxfev": int(tune.get("max_evaluations", 20)),
                "xatol": 1e-3,
                "fatol": 1e-6,
                "initial_simplex": _simplex(x0),
            },
        )
        settings = _settings_from(settings, names, result.x)
    elif hyper:
        log.warning("no validation frames: SNAP hyper-parameters are not tuned")
    beta, alpha, score = evaluate(settings)
    log.info("fit: %s, weighted validation RMSE %.5g", _describe(settings, alpha), score)
    return Fit(settings, beta, alpha, score, trace)


def _describe(s: SNAPSettings, alpha: float) -> str:
    radii = ", ".join(f"{e} {s.radii[e]:.3f}" for e in s.species)
    weights = ", ".join(f"{e} {s.weights[e]:.3f}" for e in s.species)
    return f"rcutfac {s.rcutfac:.4f}, radii {radii}, weights {weights}, alpha {alpha:.3g}"


def _parameters(s: SNAPSettings, tune: Mapping) -> tuple[list[str], np.ndarray]:
    """Optimisation variables (logarithms): rcutfac, radii, weights (the first element's
    weight stays fixed: only ratios matter)."""
    names, x = [], []
    if tune.get("cutoff"):
        names.append("rcutfac")
        x.append(np.log(s.rcutfac))
    if tune.get("radii"):
        for e in s.species:
            names.append(f"radius:{e}")
            x.append(np.log(s.radii[e]))
    if tune.get("weights"):
        for e in s.species[1:]:
            names.append(f"weight:{e}")
            x.append(np.log(s.weights[e]))
    return names, np.array(x)


def _simplex(x0: np.ndarray, step: float = 0.1) -> np.ndarray:
    return np.vstack([x0, x0 + step * np.eye(len(x0))])


def _settings_from(s: SNAPSettings, names: Sequence[str], x: np.ndarray) -> SNAPSettings:
    radii, weights, rcutfac = dict(s.radii), dict(s.weights), s.rcutfac
    for name, value in zip(names, x, strict=True):
        value = float(np.exp(value))
        if name == "rcutfac":
            rcutfac = value
        elif name.startswith("radius:"):
            radii[name.split(":", 1)[1]] = value
        else:
            weights[name.split(":", 1)[1]] = value
    return replace(s, rcutfac=rcutfac, radii=radii, weights=weights)
