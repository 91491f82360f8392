"""CBAD coverage selection (Sharma & Sanvito): cell, bond, angle and dihedral bins.

A configuration is described by its six cell parameters and every bond length, bond
angle and dihedral, each grouped by type. Types come from the structure's bond graph as
:mod:`mofglass.chemistry` reads it (covalent bonds, and metal-donor bonds within the
chemistry's cutoffs): an atom's type is its element plus its bonded neighbours'
elements (``C(HNN)``; an H takes its partner's type, ``H[C(HNN)]``), as Sharma &
Sanvito type C, O and H by coordination; a bond, angle or dihedral type is the sequence
of the atom types along it. Each value
becomes a bin index ``floor(value / resolution)`` with one resolution per kind. A frame
is accepted when at least one of its (type, bin) pairs has not been seen; its pairs are
then marked as seen.

Because a rejected frame's bins are all seen already, the seen set after any frame is
the union of the bins of *every* frame offered so far. So a frame is accepted exactly
when it visits a bin no earlier frame visited, and with nested bins (each coarse width
an integer multiple of the fine one) a coarser resolution never accepts more frames.

No maintained library implements this rule (dscribe and matscipy give descriptors, not
typed bond/angle/dihedral bins), so it is written here; geometry uses ASE.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from ase import Atoms
from ase.geometry import find_mic, get_angles, get_dihedrals

from .atomicio import iter_frames
from .chemistry import atom_types, bond_graph

log = logging.getLogger(__name__)

KINDS = ("cell_length", "cell_angle", "bond", "angle", "dihedral")
CELL_TYPES = (
    ("cell a", "cell_length"),
    ("cell b", "cell_length"),
    ("cell c", "cell_length"),
    ("cell alpha", "cell_angle"),
    ("cell beta", "cell_angle"),
    ("cell gamma", "cell_angle"),
)
# (type, bin) pairs are packed into one integer: type id times this, plus the bin.
_STRIDE = np.int64(1) << 32


@dataclass(frozen=True)
class Resolution:
    """Bin widths: cell lengths and bonds in Å, cell angles, angles, dihedrals in deg."""

    cell_length_A: float = 0.1
    cell_angle_deg: float = 1.0
    bond_A: float = 0.05
    angle_deg: float = 5.0
    dihedral_deg: float = 10.0

    @classmethod
    def from_config(cls, block: Mapping) -> tuple[Resolution, float]:
        """Bin widths and the bond scale of a ``cbad`` config block (other keys ignored)."""
        widths = {k: v for k, v in block.items() if k in cls.__dataclass_fields__}
        return cls(**widths), block["bond_scale"]

    def width(self, kind: str) -> float:
        return {
            "cell_length": self.cell_length_A,
            "cell_angle": self.cell_angle_deg,
            "bond": self.bond_A,
            "angle": self.angle_deg,
            "dihedral": self.dihedral_deg,
        }[kind]


class _TypeNames:
    """Descriptor types by name (their kind and the atom types along the chain, read in
    the direction that sorts first), numbered as met, after the cell's own types."""

    def __init__(self, atom_type: Sequence[str]):
        self.atom_type = atom_type
        self.names: dict[str, int] = {name: k for k, (name, _) in enumerate(CELL_TYPES)}
        self.kinds = [kind for _, kind in CELL_TYPES]

    def __call__(self, kind: str, chain: Sequence[int]) -> int:
        labels = [self.atom_type[i] for i in chain]
        labels = min(labels, labels[::-1])
        name = f"{kind} " + "-".join(labels)
        if name not in self.names:
            self.names[name] = len(self.names)
            self.kinds.append(kind)
        return self.names[name]


def _angles(neighbours: list[list[int]], directed, type_id: _TypeNames) -> tuple[list, list, list]:
    """Every bond angle i-j-k (i < k around each atom j): its two bonds, their signs
    (from j outwards) and its type."""
    angle_bonds, angle_signs, angle_type = [], [], []
    for j in range(len(neighbours)):
        around = sorted(neighbours[j])
        for a, i in enumerate(around):
            for k in around[a + 1 :]:
                (b1, s1), (b2, s2) = directed(j, i), directed(j, k)
                angle_bonds.append((b1, b2))
                angle_signs.append((s1, s2))
                angle_type.append(type_id("angle", (i, j, k)))
    return angle_bonds, angle_signs, angle_type


def _dihedrals(
    pairs: list[tuple[int, int]], neighbours: list[list[int]], directed, type_id: _TypeNames
) -> tuple[list, list, list]:
    """Every dihedral i-j-k-m around each bond j-k: its three bonds, their signs (along
    the chain) and its type."""
    dihedral_bonds, dihedral_signs, dihedral_type = [], [], []
    for j, k in pairs:
        for i in neighbours[j]:
            for m in neighbours[k]:
                if i in (j, k) or m in (j, k) or i == m:
                    continue
                chain = [directed(i, j), directed(j, k), directed(k, m)]
                dihedral_bonds.append([b for b, _ in chain])
                dihedral_signs.append([s for _, s in chain])
                dihedral_type.append(type_id("dihedral", (i, j, k, m)))
    return dihedral_bonds, dihedral_signs, dihedral_type


@dataclass(frozen=True)
class Topology:
    """Bonds, angles and dihedrals of a structure, with their descriptor types.

    ``bonds`` are atom pairs (i, j); an angle (i, j, k) is centred on j and given by
    the bonds (j, i) and (j, k); a dihedral (i, j, k, l) turns about the bond (j, k).
    Each term refers to bonds by index with a sign (+1: along the stored direction).
    """

    n_atoms: int
    types: tuple[str, ...]
    kinds: tuple[str, ...]
    bonds: np.ndarray
    bond_type: np.ndarray
    angle_bonds: np.ndarray
    angle_signs: np.ndarray
    angle_type: np.ndarray
    dihedral_bonds: np.ndarray
    dihedral_signs: np.ndarray
    dihedral_type: np.ndarray

    @classmethod
    def from_atoms(
        cls,
        atoms: Atoms,
        bond_scale: float = 1.2,
        metal_cutoffs: Mapping[str, float] | None = None,
    ) -> Topology:
        """Connectivity of the chemistry's bond graph: non-metals bond when closer than
        ``bond_scale`` times the sum of their covalent radii, a metal and a donor within
        ``metal_cutoffs`` ("Zn-N": Å, from the structure's chemistry; by default 1.3 x
        the radii for every metal-non-metal pair)."""
        first, second = bond_graph(atoms, metal_cutoffs, covalent_scale=bond_scale)
        pairs = sorted({(int(i), int(j)) for i, j in zip(first, second, strict=True) if i < j})
        neighbours: list[list[int]] = [[] for _ in atoms]
        for i, j in pairs:
            neighbours[i].append(j)
            neighbours[j].append(i)
        type_id = _TypeNames(atom_types(atoms, first, second))
        bond_index = {pair: b for b, pair in enumerate(pairs)}

        def directed(i: int, j: int) -> tuple[int, int]:
            """Bond index and sign of the vector from atom i to atom j."""
            return (bond_index[(i, j)], 1) if i < j else (bond_index[(j, i)], -1)

        bond_type = [type_id("bond", pair) for pair in pairs]
        angle_bonds, angle_signs, angle_type = _angles(neighbours, directed, type_id)
        dihedral_bonds, dihedral_signs, dihedral_type = _dihedrals(
            pairs, neighbours, directed, type_id
        )
        names, kinds = type_id.names, type_id.kinds
        return cls(
            n_atoms=len(atoms),
            types=tuple(names),
            kinds=tuple(kinds),
            bonds=np.array(pairs, dtype=np.int64).reshape(-1, 2),
            bond_type=np.array(bond_type, dtype=np.int64),
            angle_bonds=np.array(angle_bonds, dtype=np.int64).reshape(-1, 2),
            angle_signs=np.array(angle_signs, dtype=float).reshape(-1, 2),
            angle_type=np.array(angle_type, dtype=np.int64),
            dihedral_bonds=np.array(dihedral_bonds, dtype=np.int64).reshape(-1, 3),
            dihedral_signs=np.array(dihedral_signs, dtype=float).reshape(-1, 3),
            dihedral_type=np.array(dihedral_type, dtype=np.int64),
        )

    def counts(self) -> dict[str, int]:
        """Number of descriptor types of each kind."""
        return {kind: self.kinds.count(kind) for kind in KINDS}

    def values(self, atoms: Atoms) -> dict[str, np.ndarray]:
        """Descriptor values of a frame by kind: Å for lengths, degrees for angles.

        Bond vectors use the minimum image. Dihedrals are taken as |φ| in [0, 180]:
        folding at 0 and 180 degrees keeps planar rings (φ near 0) and trans chains
        (φ near 180) from straddling a seam of the binning.
        """
        if len(atoms) != self.n_atoms:
            raise ValueError(
                f"frame has {len(atoms)} atoms, its topology {self.n_atoms}: not the same structure"
            )
        positions = atoms.positions
        vectors = positions[self.bonds[:, 1]] - positions[self.bonds[:, 0]]
        if atoms.pbc.any():
            vectors, lengths = find_mic(vectors, atoms.cell, atoms.pbc)
        else:
            lengths = np.linalg.norm(vectors, axis=1)
        cellpar = atoms.cell.cellpar()
        angles = get_angles(
            vectors[self.angle_bonds[:, 0]] * self.angle_signs[:, :1],
            vectors[self.angle_bonds[:, 1]] * self.angle_signs[:, 1:],
        )
        dihedrals = get_dihedrals(
            *(
                vectors[self.dihedral_bonds[:, n]] * self.dihedral_signs[:, n : n + 1]
                for n in range(3)
            )
        )
        dihedrals = np.abs(((dihedrals + 180.0) % 360.0) - 180.0)
        return {
            "cell_length": cellpar[:3],
            "cell_angle": cellpar[3:],
            "bond": lengths,
            "angle": angles,
            "dihedral": dihedrals,
        }

    def keys(self, atoms: Atoms, resolution: Resolution) -> np.ndarray:
        """The frame's distinct (type, bin) pairs, packed as ``type * 2**32 + bin``."""
        values = self.values(atoms)
        term_types = {
            "cell_length": np.arange(3),
            "cell_angle": np.arange(3, 6),
            "bond": self.bond_type,
            "angle": self.angle_type,
            "dihedral": self.dihedral_type,
        }
        keys = []
        for kind in KINDS:
            bins = np.floor(values[kind] / resolution.width(kind)).astype(np.int64)
            if np.any(bins < 0) or np.any(bins >= _STRIDE):
                raise ValueError(f"{kind} value outside the binnable range")
            keys.append(term_types[kind] * _STRIDE + bins)
        return np.unique(np.concatenate(keys))


def unpack(key: int) -> tuple[int, int]:
    """(type id, bin) of a packed key."""
    return int(key // _STRIDE), int(key % _STRIDE)


@dataclass
class Coverage:
    """Seen bins and the greedy CBAD rule; usable on a pool or frame by frame in MD.

    Type names are registered globally, so frames of different structures (different
    topologies) share the bins of their common types.
    """

    resolution: Resolution = field(default_factory=Resolution)
    type_names: list[str] = field(default_factory=list)
    type_kinds: list[str] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    visited: set[int] = field(default_factory=set)

    def register(self, topology: Topology) -> np.ndarray:
        """Global type ids of a topology's types (registering new ones)."""
        index = {name: k for k, name in enumerate(self.type_names)}
        ids = []
        for name, kind in zip(topology.types, topology.kinds, strict=True):
            if name not in index:
                index[name] = len(self.type_names)
                self.type_names.append(name)
                self.type_kinds.append(kind)
            ids.append(index[name])
        return np.array(ids, dtype=np.int64)

    def globalise(self, local_keys: np.ndarray, type_ids: np.ndarray) -> np.ndarray:
        """Re-key a topology's packed keys with global type ids."""
        return type_ids[local_keys // _STRIDE] * _STRIDE + local_keys % _STRIDE

    def seed(self, keys: np.ndarray) -> None:
        """Mark bins as seen without selecting anything (e.g. frames already labelled)."""
        self.seen.update(keys.tolist())
        self.visited.update(keys.tolist())

    def offer(self, keys: np.ndarray, accept: bool = True) -> list[int]:
        """The frame's bins not seen before; if any and ``accept``, mark them seen.

        Every offered frame counts towards the visited bins, accepted or not.
        """
        keys_list = keys.tolist()
        self.visited.update(keys_list)
        new = [k for k in keys_list if k not in self.seen]
        if new and accept:
            self.seen.update(new)
        return new

    def describe(self, keys: Iterable[int]) -> str:
        """``type=bin`` pairs separated by ``;``."""
        parts = []
        for key in sorted(keys):
            type_id, bin_index = unpack(key)
            parts.append(f"{self.type_names[type_id]}={bin_index}")
        return ";".join(parts)

    def table(self, covered: set[int] | None = None) -> list[dict]:
        """Per descriptor type: kind, bins visited by offered frames, bins covered by
        the accepted ones (or by ``covered``)."""
        covered = self.seen if covered is None else covered
        visited = np.zeros(len(self.type_names), dtype=int)
        hit = np.zeros(len(self.type_names), dtype=int)
        for key in self.visited:
            visited[unpack(key)[0]] += 1
        for key in covered:
            hit[unpack(key)[0]] += 1
        return [
            {
                "kind": kind,
                "descriptor_type": name,
                "bins_visited": int(v),
                "bins_covered": int(h),
            }
            for name, kind, v, h in zip(self.type_names, self.type_kinds, visited, hit, strict=True)
        ]


@dataclass(frozen=True)
class FrameKeys:
    """A trajectory's topology type names and, per requested frame, its local keys."""

    path: str
    types: tuple[str, ...]
    kinds: tuple[str, ...]
    frames: list[int]
    keys: list[np.ndarray]


def trajectory_keys(
    path: str,
    frames: Sequence[int],
    resolution: Resolution,
    bond_scale: float = 1.2,
    metal_cutoffs: Mapping[str, float] | None = None,
    reference_frame: int = 0,
) -> FrameKeys:
    """Keys of the given frames of a trajectory; topology from ``reference_frame``."""
    (reference,) = iter_frames(path, [reference_frame])
    topology = Topology.from_atoms(reference, bond_scale, metal_cutoffs)
    wanted = sorted(set(int(f) for f in frames))
    keys = [topology.keys(atoms, resolution) for atoms in iter_frames(path, wanted)]
    return FrameKeys(str(path), topology.types, topology.kinds, wanted, keys)


def _trajectory_keys_task(args) -> FrameKeys:
    return trajectory_keys(*args)


def pool_keys(
    requests: Sequence[tuple[str, Sequence[int]]],
    resolution: Resolution,
    bond_scale: float = 1.2,
    processes: int = 1,
    chunk_frames: int = 2000,
    metal_cutoffs: Mapping[str, float] | None = None,
) -> list[FrameKeys]:
    """Keys of many frames, ``(trajectory, frame positions)`` pairs, in parallel;
    bonds as :meth:`Topology.from_atoms` reads them.

    Long trajectories are cut into chunks of ``chunk_frames`` so that the work spreads
    over ``processes``; results come back in request order.
    """
    tasks = []
    for path, frames in requests:
        frames = sorted(int(f) for f in frames)
        for start in range(0, len(frames), chunk_frames):
            chunk = frames[start : start + chunk_frames]
            tasks.append((path, chunk, resolution, bond_scale, metal_cutoffs))
    if processes <= 1 or len(tasks) <= 1:
        return [_trajectory_keys_task(task) for task in tasks]
    with ProcessPoolExecutor(max_workers=processes) as executor:
        return list(executor.map(_trajectory_keys_task, tasks))


def select_frames(
    coverage: Coverage,
    keyed: Sequence[tuple[np.ndarray, np.ndarray]],
    max_accept: int | None = None,
) -> tuple[list[int], list[str]]:
    """Apply the CBAD rule to frames in the given order.

    ``keyed`` holds (local keys, global type ids of their topology) per frame. Returns
    the positions of the accepted frames and, for every frame, the bins it added
    (empty for rejected ones). After ``max_accept`` acceptances the rest are only
    counted as visited.
    """
    accepted: list[int] = []
    added: list[str] = []
    for position, (keys, type_ids) in enumerate(keyed):
        room = max_accept is None or len(accepted) < max_accept
        new = coverage.offer(coverage.globalise(keys, type_ids), accept=room)
        if new and room:
            accepted.append(position)
            added.append(coverage.describe(new))
        else:
            added.append("")
    return accepted, added
