"""The chemistry of a framework, read from its structure: which atoms are metals, which
bind them, what the linkers are, how atoms are typed, and what must not break.

A framework is read as a graph. Non-metal atoms are bonded when closer than 1.2 times
the sum of their covalent radii (ASE's covalent radii, the rule of ASE's own
``natural_cutoffs`` neighbour lists, widened for hot frames). A metal binds an atom
closer than ``METAL_BOND_SCALE`` = 1.3 times the sum of their covalent radii, rounded
to 0.1 Å: 2.5 Å for Zn-N (the first minimum of the Zn-N PMF, Castel et al.) and 2.4 Å
for Zn-O (Sharma & Sanvito's Zn-O wall). From that graph:

- **donors**: the elements bonded to metals (N in a ZIF; O in MOF-5);
- **coordination**: each metal's most common number of donor neighbours, and the range
  a run may visit before the watch stops it (two either side, as the ZIF default 2-6);
- **linkers**: connected non-metal components of two or more atoms that bind a metal,
  by Hill formula (``C3H3N2`` imidazolate, ``C4H5N2`` 2-methylimidazolate,
  ``C8H4O4`` terephthalate); single atoms bound only to metals are **node ligands**
  (MOF-5's μ4-O);
- **atom types** (as Sharma & Sanvito type C, O and H): an element with its bonded
  neighbours' elements, ``C(HNN)``; H takes its partner's type, ``H[C(CHHH)]``. A frame
  made by MD keeps the types of the structure its run started from (:func:`types_of`),
  as LAMMPS keeps an atom's type through a run: a bond that breaks in a hot frame does
  not make new types, and a model learns the breaking on the types it runs with;
- **linker bonds** that must never break: the element pairs of heavy-atom bonds within
  linkers;
- **bridging**: every linker binds exactly two metals, each through its own donor (a
  ZIF). Only then are metal-linker-metal angles and rings defined.

Every derived value can be named in the config instead (a structure's ``chemistry``
block); :func:`derive` applies those overrides and checks them against the structure.

No maintained library reduces a MOF to these terms (pymatgen's local environments
and MOFid need more than the PyPI and Debian sources here offer, or a network), so the
graph reading is written here on ASE's and matscipy's neighbour lists.

Units: Å.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers, covalent_radii
from ase.formula import Formula
from matscipy.neighbours import neighbour_list
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

#: Elements that are not metals; every other element is one.
NON_METALS = frozenset("H He B C N O F Ne Si P S Cl Ar As Se Br Kr Te I Xe At Rn".split())
COVALENT_BOND_SCALE = 1.2
METAL_BOND_SCALE = 1.3
H_REACH_A = 2.0  # an H is typed by the nearest heavy non-metal within this (Å)
#: Short names of common linkers (Hill formula of the anion), used in quantity names.
LINKER_NAMES = {
    "C3H3N2": "im",
    "C4H5N2": "mim",
    "C7H5N2": "bim",
    "C8H4O4": "bdc",
    "C9H3O6": "btc",
}
#: Keys a config's ``chemistry`` block may set.
OVERRIDES = (
    "metals",
    "donors",
    "bond_cutoffs_A",
    "coordination_range",
    "linker_bonds",
    "rdf_pairs",
)


class ChemistryError(ValueError):
    """A structure whose chemistry cannot be read, or an override that does not fit it."""


@dataclass(frozen=True)
class Chemistry:
    """What a framework is made of (see the module docstring); JSON-serialisable."""

    metals: tuple[str, ...]
    donors: tuple[str, ...]
    bond_cutoffs_A: dict[str, float]  # "Zn-N": 2.5
    coordination: dict[str, int]  # metal: its most common number of donor neighbours
    coordination_range: tuple[int, int]
    linkers: dict[str, int]  # Hill formula: count in the cell
    node_ligands: dict[str, int]
    atom_types: dict[str, int]  # type: count in the cell
    linker_bonds: tuple[tuple[str, str], ...]
    rdf_pairs: tuple[tuple[str, str], ...]
    bridging: bool
    overridden: tuple[str, ...] = field(default=())

    @property
    def metal(self) -> str:
        """The framework's (first) metal."""
        return self.metals[0]

    @property
    def donor(self) -> str:
        """The (first) element bonded to the metal."""
        return self.donors[0]

    @property
    def cutoff_A(self) -> float:
        """The metal-donor bond cutoff (Å) of the first metal and donor."""
        return self.bond_cutoffs_A[f"{self.metal}-{self.donor}"]

    @property
    def linker_name(self) -> str:
        """Short name of the main linker (``im``, ``bdc``; ``l`` for an unnamed one)."""
        if not self.linkers:
            return "l"
        main = max(self.linkers, key=self.linkers.get)
        return LINKER_NAMES.get(main, "l")

    def to_dict(self) -> dict:
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, data: Mapping) -> Chemistry:
        data = dict(data)
        for key in ("metals", "donors", "overridden"):
            data[key] = tuple(data.get(key, ()))
        data["coordination_range"] = tuple(data["coordination_range"])
        data["linker_bonds"] = tuple(tuple(p) for p in data["linker_bonds"])
        data["rdf_pairs"] = tuple(tuple(p) for p in data["rdf_pairs"])
        return cls(**data)

    def write(self, path: str | Path) -> None:
        from .atomicio import write_text

        write_text(path, json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def read(cls, path: str | Path) -> Chemistry:
        return cls.from_dict(json.loads(Path(path).read_text()))


def read(path: str | Path | None) -> Chemistry | None:
    """The chemistry written by the structures stage, or None for no file."""
    return Chemistry.read(path) if path else None


def metal_cutoffs(paths: Iterable[str | Path]) -> dict[str, float] | None:
    """The metal-donor bond cutoffs (Å) of several structures' chemistry files, merged;
    None when no file is given (then :func:`bond_graph` uses its defaults)."""
    merged: dict[str, float] = {}
    for path in paths:
        for pair, cutoff in Chemistry.read(path).bond_cutoffs_A.items():
            if merged.setdefault(pair, cutoff) != cutoff:
                raise ChemistryError(f"{pair}: bond cutoffs {merged[pair]} and {cutoff} Å differ")
    return merged or None


def is_metal(symbol: str) -> bool:
    return symbol not in NON_METALS


def metal_cutoff(metal: str, donor: str) -> float:
    """Metal-donor bond cutoff (Å): 1.3 x the sum of covalent radii, to 0.1 Å."""
    r = covalent_radii[atomic_numbers[metal]] + covalent_radii[atomic_numbers[donor]]
    return round(METAL_BOND_SCALE * r, 1)


def bond_graph(
    atoms: Atoms,
    metal_cutoffs: Mapping[str, float] | None = None,
    covalent_scale: float = COVALENT_BOND_SCALE,
):
    """Bonded pairs (i, j), both directions: non-metal bonds within ``covalent_scale``
    times the sum of covalent radii, and metal-X bonds within ``metal_cutoffs``
    ("Zn-N": Å; by default :func:`metal_cutoff` for every metal-non-metal pair present)."""
    symbols = np.array(atoms.get_chemical_symbols())
    present = sorted(set(symbols))
    metals = [s for s in present if is_metal(s)]
    others = [s for s in present if not is_metal(s)]
    radius = {s: covalent_radii[atomic_numbers[s]] for s in present}
    cutoffs = {(a, b): covalent_scale * (radius[a] + radius[b]) for a in others for b in others}
    given = metal_cutoffs or {}
    for m in metals:
        for x in others:
            cut = given.get(f"{m}-{x}", None if given else metal_cutoff(m, x))
            if cut:
                cutoffs[(m, x)] = cutoffs[(x, m)] = cut
    if not cutoffs:
        return np.zeros(0, int), np.zeros(0, int)
    i, j = neighbour_list("ij", atoms, cutoffs)
    return i, j


def linker_components(i: np.ndarray, j: np.ndarray, metal: np.ndarray):
    """The bonds (i, j) between non-metals (``metal``: a mask over the atoms) as a
    sparse graph, and each atom's connected component in it: a linker with its H is one
    component, a metal atom alone in its own."""
    keep = ~metal[i] & ~metal[j]
    n = len(metal)
    graph = coo_matrix((np.ones(keep.sum()), (i[keep], j[keep])), shape=(n, n)).tocsr()
    _, labels = connected_components(graph, directed=False)
    return graph, labels


def atom_types(atoms: Atoms, i: np.ndarray, j: np.ndarray) -> list[str]:
    """Each atom's type from the bond graph (i, j): its element and its neighbours'
    elements, ``C(HNN)``; an H takes its partner's type, ``H[C(CHHH)]``."""
    symbols = atoms.get_chemical_symbols()
    neighbours: list[list[int]] = [[] for _ in symbols]
    for a, b in zip(i, j, strict=True):
        neighbours[a].append(int(b))
    types = [
        f"{s}({''.join(sorted(symbols[b] for b in neighbours[a]))})" for a, s in enumerate(symbols)
    ]
    for a, s in enumerate(symbols):
        if s == "H" and len(neighbours[a]) == 1:
            types[a] = f"H[{types[neighbours[a][0]]}]"
    return types


def model_types(atoms: Atoms, covalent_scale: float = COVALENT_BOND_SCALE) -> list[str]:
    """Each atom's type for a model with one set of coefficients per atom type (Sharma
    & Sanvito's SNAP: 7 types for ZIF-8 and MOF-5), read so that it survives hot MD:
    a metal is its element; a heavy non-metal its element with its heavy non-metal
    neighbours and its H (``C(CHN)``, ``O()`` for MOF-5's μ4-O, ``C(COO)``); an H takes
    the type of its nearest heavy non-metal, ``H[C(CHN)]``. H are assigned by distance,
    not by a cutoff, and metal bonds are left out, so a stretched C-H or Zn-N does not
    change anyone's type."""
    symbols = np.array(atoms.get_chemical_symbols())
    metal = np.array([is_metal(s) for s in symbols])
    hydrogen = symbols == "H"
    heavy = np.flatnonzero(~metal & ~hydrogen)
    present = sorted(set(symbols[heavy]))
    neighbours: list[list[str]] = [[] for _ in symbols]
    if len(heavy):  # the covalent graph of the heavy non-metals alone
        i, j = bond_graph(atoms[heavy], covalent_scale=covalent_scale)
        for a, b in zip(heavy[i], heavy[j], strict=True):
            neighbours[a].append(symbols[b])
    owner = {}  # H: its nearest heavy non-metal within H_REACH_A
    if hydrogen.any() and len(heavy):
        reach = {("H", x): H_REACH_A for x in present}
        i, j, d = neighbour_list("ijd", atoms, reach)
        far_first = np.argsort(-d, kind="stable")
        for a, b in zip(i[far_first], j[far_first], strict=True):
            if hydrogen[a] and not hydrogen[b] and not metal[b]:
                owner[int(a)] = int(b)  # the nearest is written last
        for b in owner.values():
            neighbours[b].append("H")
    types = [
        str(s) if metal[a] else f"{s}({''.join(sorted(neighbours[a]))})"
        for a, s in enumerate(symbols)
    ]
    for h in np.flatnonzero(hydrogen):
        types[h] = f"H[{types[owner[h]]}]" if h in owner else "H[]"
    return types


#: The per-atom array of a frame made by MD: each atom's model type in the structure the
#: run started from (:func:`inherit_types`).
TYPE_ARRAY = "atom_type"


def types_of(atoms: Atoms) -> list[str]:
    """Each atom's model type: the types the frame carries from the start of the run
    that made it (:data:`TYPE_ARRAY`), else :func:`model_types` of its own geometry."""
    if TYPE_ARRAY in atoms.arrays:
        return [str(t) for t in atoms.arrays[TYPE_ARRAY]]
    return model_types(atoms)


def inherit_types(frames: Iterable[Atoms], start: Atoms) -> None:
    """Give every frame of a run the model types of the structure it started from (in
    place; the run keeps the atoms' order). Raises :class:`ChemistryError` for a frame
    whose elements are not the start's, atom for atom."""
    symbols = start.get_chemical_symbols()
    types = np.array(types_of(start))
    for frame in frames:
        if frame.get_chemical_symbols() != symbols:
            raise ChemistryError("a frame's elements are not those of its run's start")
        frame.arrays[TYPE_ARRAY] = types.copy()


def element_of(label: str) -> str:
    """The element of a model type (``C(CHN)`` -> C, ``H[C(CHN)]`` -> H, ``Zn`` -> Zn)."""
    return label.split("[", 1)[0].split("(", 1)[0]


def _check_overrides(overrides: Mapping, present: set[str]) -> None:
    """Refuse an override key :data:`OVERRIDES` lacks, and metals, donors or bond
    cutoffs that name elements the structure does not have."""
    unknown = sorted(set(overrides) - set(OVERRIDES))
    if unknown:
        raise ChemistryError(f"unknown chemistry key(s) {unknown}; known: {list(OVERRIDES)}")
    for key in ("metals", "donors"):
        missing = sorted(set(overrides.get(key, ())) - present)
        if missing:
            raise ChemistryError(f"chemistry.{key} names {missing}, not in the structure")
    for pair in overrides.get("bond_cutoffs_A") or {}:
        a, _, b = pair.partition("-")
        if a not in present or b not in present:
            raise ChemistryError(f"chemistry.bond_cutoffs_A: {pair} pairs elements not present")


def _rdf_pairs(metal: str, donor: str, overrides: Mapping, present: set[str]) -> tuple:
    """The RDF pairs: metal-donor, metal-metal, donor-donor, or the override's."""
    pairs = ((metal, donor), (metal, metal), (donor, donor))
    if "rdf_pairs" in overrides:
        pairs = tuple(tuple(p) for p in overrides["rdf_pairs"])
    for pair in pairs:
        if not set(pair) <= present:
            raise ChemistryError(f"chemistry.rdf_pairs: {list(pair)} pairs elements not present")
    return pairs


def _linker_census(
    symbols: np.ndarray, i: np.ndarray, j: np.ndarray, metal: np.ndarray, bound: np.ndarray
) -> tuple[Counter, Counter, bool, np.ndarray]:
    """The molecules bound to metals (``bound``: the metal-donor bonds of the graph
    ``i``, ``j``) by Hill formula: linkers (two or more atoms) and single-atom ligands;
    whether every linker bridges two metals through two donor atoms; and which atoms
    are in a linker."""
    _, labels = linker_components(i, j, metal)
    metals_of = {}  # component: list of (donor atom, metal atom)
    for a, b in zip(i[bound], j[bound], strict=True):
        metals_of.setdefault(int(labels[b]), []).append((int(b), int(a)))
    linkers, ligands, bridging = Counter(), Counter(), True
    linker_atoms = np.zeros(len(symbols), bool)
    for component, contacts in metals_of.items():
        members = np.flatnonzero(labels == component)
        formula = Formula.from_list(symbols[members].tolist()).format("hill")
        if len(members) == 1:
            ligands[formula] += 1
            continue
        linkers[formula] += 1
        linker_atoms[members] = True
        donors_used = Counter(d for d, _ in contacts)
        bridging &= len(contacts) == 2 and len(donors_used) == 2
    return linkers, ligands, bridging, linker_atoms


def derive(atoms: Atoms, overrides: Mapping | None = None) -> Chemistry:
    """The chemistry of a framework from its structure, with the config's ``overrides``
    (keys of :data:`OVERRIDES`) put in place of the derived values. Raises
    :class:`ChemistryError` for a structure without a metal or a linker, and for an
    override naming an element the structure does not have."""
    overrides = dict(overrides or {})
    symbols = np.array(atoms.get_chemical_symbols())
    present = set(symbols)
    _check_overrides(overrides, present)
    metals = tuple(overrides.get("metals") or sorted(s for s in present if is_metal(s)))
    if not metals:
        raise ChemistryError(
            f"no metal in the structure ({atoms.get_chemical_formula()}): a framework needs one"
        )
    cutoffs = dict(overrides.get("bond_cutoffs_A") or {})
    i, j = bond_graph(atoms, cutoffs or None)
    metal = np.isin(symbols, metals)
    to_metal = metal[i] & ~metal[j]
    donors = tuple(overrides.get("donors") or sorted(set(symbols[j[to_metal]])))
    if not donors:
        raise ChemistryError("no atom is bonded to a metal: not a framework at this geometry")
    if not cutoffs:
        cutoffs = {f"{m}-{d}": metal_cutoff(m, d) for m in metals for d in donors}
    bound = to_metal & np.isin(symbols[j], donors)
    counts = np.bincount(i[bound], minlength=len(atoms))
    coordination = {m: int(Counter(counts[symbols == m]).most_common(1)[0][0]) for m in metals}
    cn = max(coordination.values())
    coordination_range = tuple(overrides.get("coordination_range") or (max(1, cn - 2), cn + 2))

    linkers, ligands, bridging, linker_atoms = _linker_census(symbols, i, j, metal, bound)
    if not linkers:
        raise ChemistryError("no linker: no molecule of two or more atoms binds a metal")
    heavy = symbols != "H"
    keep = ~metal[i] & ~metal[j]  # bonds inside linkers
    in_linker = linker_atoms[i] & linker_atoms[j] & heavy[i] & heavy[j] & (i < j) & keep
    bonded = zip(i[in_linker], j[in_linker], strict=True)
    pairs = {tuple(sorted((symbols[a], symbols[b]))) for a, b in bonded}
    linker_bonds = tuple(sorted(pairs))
    if "linker_bonds" in overrides:
        linker_bonds = tuple(tuple(sorted(p)) for p in overrides["linker_bonds"])
    rdf_pairs = _rdf_pairs(metals[0], donors[0], overrides, present)
    return Chemistry(
        metals=metals,
        donors=donors,
        bond_cutoffs_A=cutoffs,
        coordination=coordination,
        coordination_range=coordination_range,
        linkers=dict(sorted(linkers.items())),
        node_ligands=dict(sorted(ligands.items())),
        atom_types=dict(sorted(Counter(atom_types(atoms, i, j)).items())),
        linker_bonds=linker_bonds,
        rdf_pairs=rdf_pairs,
        bridging=bool(bridging),
        overridden=tuple(sorted(overrides)),
    )
