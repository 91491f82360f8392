"""The bias description: collective variables, walls and the well-tempered
metadynamics parameters (config ``enhanced_sampling.biases.<name>``), and the ZIF
imidazolate-rotation CVs found in a structure. Distances Å, angles rad, energies eV,
pace in MD steps; atom indices 0-based."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from ase.units import kB

POSITIONS = {"position_x": 0, "position_y": 1, "position_z": 2}  # CV type: Cartesian axis
CV_TYPES = ("distance", "dihedral", "coordination", *POSITIONS, "volume")
ANGULAR = ("dihedral",)
COLVARS_LACKS = {"volume": "Colvars in LAMMPS has no cell-volume component"}


@dataclass(frozen=True)
class CV:
    """A collective variable: ``atoms`` (0-based) for distance (2), dihedral (4) and
    position_x/y/z (1: that coordinate less ``origin_A``'s, Å); ``groups`` (two lists)
    with ``r0_A``, ``nn``, ``mm`` for coordination (switching function
    (1-(r/r0)^nn)/(1-(r/r0)^mm)); volume (no atoms: the cell volume, Å³, PLUMED only,
    and its MD runs at constant pressure)."""

    name: str
    type: str
    atoms: tuple[int, ...] = ()
    groups: tuple[tuple[int, ...], ...] = ()
    r0_A: float = 2.5
    nn: int = 6
    mm: int = 12
    origin_A: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self):
        counts = {"distance": 2, "dihedral": 4, "volume": 0} | dict.fromkeys(POSITIONS, 1)
        if self.type not in CV_TYPES:
            raise ValueError(f"CV {self.name}: unknown type {self.type!r}; known: {CV_TYPES}")
        if self.type in counts and len(self.atoms) != counts[self.type]:
            raise ValueError(f"CV {self.name}: {self.type} takes {counts[self.type]} atoms")
        if self.type == "coordination" and len(self.groups) != 2:
            raise ValueError(f"CV {self.name}: coordination takes two groups")

    @classmethod
    def from_config(cls, block: Mapping) -> CV:
        """A CV from a config entry (lists become tuples)."""
        block = dict(block)
        for key in ("atoms", "origin_A"):
            if key in block:
                block[key] = tuple(block[key])
        if "groups" in block:
            block["groups"] = tuple(tuple(g) for g in block["groups"])
        return cls(**block)

    @property
    def angular(self) -> bool:
        return self.type in ANGULAR


@dataclass(frozen=True)
class Wall:
    """A harmonic wall E = kappa (s - at)² beyond ``at`` (``upper`` or lower)."""

    cv: str
    at: float
    kappa: float  # eV per CV unit squared
    upper: bool = True


@dataclass(frozen=True)
class Bias:
    """Well-tempered metadynamics on ``metad_cvs``: Gaussian ``sigma`` (CV units),
    initial ``height_eV``, ``bias_factor`` γ, a hill every ``pace`` steps, on a grid
    [``grid_min``, ``grid_max``] of spacing ``grid_spacing`` (CV units), at
    ``temperature_K``."""

    cvs: tuple[CV, ...]
    metad_cvs: tuple[str, ...]
    sigma: tuple[float, ...]
    height_eV: float
    bias_factor: float
    pace: int
    grid_min: tuple[float, ...]
    grid_max: tuple[float, ...]
    grid_spacing: tuple[float, ...]
    temperature_K: float
    walls: tuple[Wall, ...] = field(default_factory=tuple)

    @classmethod
    def from_config(cls, block: Mapping, cvs: Sequence[CV], temperature_K: float) -> Bias:
        metad = block["metad"]
        bias = cls(
            cvs=tuple(cvs),
            metad_cvs=tuple(metad["cvs"]),
            sigma=tuple(metad["sigma"]),
            height_eV=metad["height_eV"],
            bias_factor=metad["bias_factor"],
            pace=metad["pace"],
            grid_min=tuple(metad["grid_min"]),
            grid_max=tuple(metad["grid_max"]),
            grid_spacing=tuple(metad["grid_spacing"]),
            temperature_K=temperature_K,
            walls=tuple(Wall(**w) for w in block.get("walls", [])),
        )
        names = {cv.name for cv in bias.cvs}
        for name in (*bias.metad_cvs, *(w.cv for w in bias.walls)):
            if name not in names:
                raise ValueError(f"bias: no CV {name!r} (defined: {', '.join(sorted(names))})")
        n = len(bias.metad_cvs)
        for key in ("sigma", "grid_min", "grid_max", "grid_spacing"):
            if len(getattr(bias, key)) != n:
                raise ValueError(f"bias: metad.{key} needs one value per metad CV ({n})")
        if bias.bias_factor <= 1:
            raise ValueError("bias: the bias factor of well-tempered metadynamics exceeds 1")
        return bias

    def cv(self, name: str) -> CV:
        return next(cv for cv in self.cvs if cv.name == name)

    @property
    def on_volume(self) -> bool:
        """Whether a CV is the cell volume (the MD then runs at constant pressure)."""
        return any(cv.type == "volume" for cv in self.cvs)


def kT_eV(temperature_K: float) -> float:
    return kB * temperature_K


ROTATION_CVS = ("phi", "zn_n1", "zn_n3")  # the names rotation_cvs gives its CVs
#: The names phenylene_cvs gives its CVs: two dihedrals, four Zn-O bonds.
PHENYLENE_CVS = ("phi1", "phi2", "zn_o1", "zn_o2", "zn_o3", "zn_o4")
#: CV names of each built-in CV set (``cvs:`` in a bias's config block).
BUILTIN_CVS = {"imidazolate_rotation": ROTATION_CVS, "phenylene_rotation": PHENYLENE_CVS}


def imidazolate_rotation(atoms, zn_n_cutoff_A: float = 2.5) -> dict:
    """Atoms of the rotation of one imidazolate about its N···N axis: its two N (n1, n3,
    each bound to a Zn), the C between them (c2) and the two Zn (zn1 on n1, zn3 on n3),
    0-based. The rotation CV is the dihedral zn1-n1-n3-c2; the walls keep both Zn-N
    bonds (the MOF-5 setup's Zn-O walls, Sharma & Sanvito, carried over to ZIF-4)."""
    from ase.neighborlist import neighbor_list

    symbols = np.array(atoms.get_chemical_symbols())
    i, j, d = neighbor_list("ijd", atoms, {("C", "N"): 1.6, ("Zn", "N"): zn_n_cutoff_A})
    bonded = {}
    for a, b, r in zip(i, j, d, strict=True):
        bonded.setdefault(int(a), []).append((int(b), float(r)))
    for c2 in np.flatnonzero(symbols == "C"):
        nitrogens = [b for b, _ in bonded.get(int(c2), []) if symbols[b] == "N"]
        if len(nitrogens) != 2:
            continue
        zincs = [[b for b, _ in bonded.get(n, []) if symbols[b] == "Zn"] for n in nitrogens]
        if all(len(z) == 1 for z in zincs):
            (n1, n3), (zn1, zn3) = nitrogens, (zincs[0][0], zincs[1][0])
            return {"zn1": zn1, "n1": n1, "n3": n3, "c2": int(c2), "zn3": zn3}
    raise ValueError("no imidazolate bridging two Zn (C2 between two N, each on one Zn)")


def phenylene_rotation(atoms, zn_o_cutoff_A: float = 2.4) -> dict:
    """Atoms of the rotation of one terephthalate's phenylene ring (MOF-5), 0-based:
    at each end k (1, 2) the carboxylate C ``ck``, its O ``ok`` and the ring's ipso C
    ``ik`` and ortho C ``rk`` on the same side as ``ok`` (so that the dihedral
    ok-ck-ik-rk is near 0 with the ring in the carboxylate plane), and the Zn each of
    the four carboxylate O binds (``zn_o``: [(O, Zn)] x 4)."""
    from ase.neighborlist import neighbor_list

    symbols = np.array(atoms.get_chemical_symbols())
    cutoffs = {("C", "C"): 1.8, ("C", "O"): 1.6, ("Zn", "O"): zn_o_cutoff_A}
    i, j = neighbor_list("ij", atoms, cutoffs)
    bonded: dict[int, list[int]] = {}
    for a, b in zip(i, j, strict=True):
        bonded.setdefault(int(a), []).append(int(b))

    def of(atom, element):
        return [b for b in bonded.get(atom, []) if symbols[b] == element]

    def end(carboxyl):
        (ipso,) = of(carboxyl, "C")
        oxygens = of(carboxyl, "O")
        ortho = [c for c in of(ipso, "C") if c != carboxyl]
        o = oxygens[0]
        r = min(ortho, key=lambda c: atoms.get_distance(o, c, mic=True))
        return {"c": carboxyl, "o": o, "i": ipso, "r": r, "oxygens": oxygens}

    for c1 in np.flatnonzero(symbols == "C"):
        c1 = int(c1)
        if len(of(c1, "O")) != 2 or len(of(c1, "C")) != 1:
            continue  # not a carboxylate C
        first = end(c1)
        # the para carboxylate: four C-C bonds from the ipso C, across the ring
        ring = {first["i"]}
        for _ in range(4):
            ring |= {c for a in ring for c in of(a, "C")}
        others = [c for c in ring if c != c1 and len(of(c, "O")) == 2]
        if len(others) != 1:
            continue
        second = end(others[0])
        pairs = [(o, of(o, "Zn")) for o in first["oxygens"] + second["oxygens"]]
        if not all(len(zn) == 1 for _, zn in pairs):
            continue
        found = {f"{k}1": first[k] for k in "coir"} | {f"{k}2": second[k] for k in "coir"}
        return found | {"zn_o": [(o, zn[0]) for o, zn in pairs]}
    raise ValueError("no terephthalate whose four carboxylate O each bind one Zn")


def phenylene_cvs(atoms, zn_o_cutoff_A: float = 2.4) -> list[CV]:
    """Sharma & Sanvito's MOF-5 CVs: the dihedrals ``phi1``, ``phi2`` between the ring
    and each carboxylate plane of one terephthalate, and its four Zn-O distances
    ``zn_o1``..``zn_o4`` (for the walls that keep it on its Zn)."""
    a = phenylene_rotation(atoms, zn_o_cutoff_A)
    phi1, phi2, *bonds = PHENYLENE_CVS
    cvs = [
        CV(phi1, "dihedral", (a["o1"], a["c1"], a["i1"], a["r1"])),
        CV(phi2, "dihedral", (a["o2"], a["c2"], a["i2"], a["r2"])),
    ]
    return cvs + [CV(n, "distance", (zn, o)) for n, (o, zn) in zip(bonds, a["zn_o"], strict=True)]


def rotation_cvs(atoms, zn_n_cutoff_A: float = 2.5) -> list[CV]:
    """The rotation dihedral ``phi`` and the two Zn-N distances ``zn_n1``, ``zn_n3``."""
    a = imidazolate_rotation(atoms, zn_n_cutoff_A)
    phi, zn_n1, zn_n3 = ROTATION_CVS
    return [
        CV(phi, "dihedral", (a["zn1"], a["n1"], a["n3"], a["c2"])),
        CV(zn_n1, "distance", (a["zn1"], a["n1"])),
        CV(zn_n3, "distance", (a["zn3"], a["n3"])),
    ]


def bias_for(atoms, block: Mapping, chemistry=None) -> Bias:
    """The bias of a config block on a structure: its CVs listed, or built from the
    structure (``cvs: imidazolate_rotation`` or ``phenylene_rotation``, with the
    metal-donor cutoff of the structure's ``chemistry``,
    :class:`mofglass.chemistry.Chemistry`; 2.5 Å Zn-N, 2.4 Å Zn-O without one)."""
    if block["cvs"] == "imidazolate_rotation":
        cvs = rotation_cvs(atoms, chemistry.cutoff_A if chemistry else 2.5)
    elif block["cvs"] == "phenylene_rotation":
        cvs = phenylene_cvs(atoms, chemistry.cutoff_A if chemistry else 2.4)
    else:
        cvs = [CV.from_config(cv) for cv in block["cvs"]]
    return Bias.from_config(block, cvs, block["temperature_K"])


def cv_unit(cv: CV) -> str:
    """The unit of a CV in column names: rad, A, A3, or 1 (a coordination number)."""
    return {"dihedral": "rad", "volume": "A3", "coordination": "1"}.get(cv.type, "A")
