"""Structure of framework crystals, liquids and glasses: RDF and PMF, angles,
coordination, metal-linker rings, pore volume, density (Castel et al.'s analysis, aMOF
conventions). The metal, the atom that binds it (the donor) and their bond cutoff come
from the structure's chemistry (:mod:`mofglass.chemistry`); the defaults are a ZIF's
Zn, N and 2.5 Å.

Pair searches use vesin's compiled cell list (float64, any cell: cutoffs longer than
half the cell, mixed periodicity), one search per frame for the RDFs, the coordination
and the angles together (:func:`frame_observables`); rings use matscipy's shortest-path
ring statistics (Franzblau) on the Zn-Im graph; pore volumes use Zeo++ through pyzeo.
The partial-RDF normalisation and the reduction of each imidazolate to one node are
written here: no maintained library does either for a per-pair, per-frame average.

Units: Å, degrees, g/cm³, cm³/kg, kJ/mol.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers, covalent_radii
from ase.geometry import find_mic
from ase.units import kB, kJ, mol
from matscipy.neighbours import neighbour_list
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from vesin import NeighborList

from . import statistics
from .chemistry import Chemistry, is_metal
from .timing import science

ZN_N_CUTOFF = 2.5  # Å, from the Zn-N PMF (papers.md, section A)


def neighbour_pairs(
    atoms: Atoms, cutoff: float, elements: Iterable[str] | None = None, full: bool = True
) -> tuple[np.ndarray, ...]:
    """Every ordered pair of atoms closer than ``cutoff`` (Å), each periodic image once,
    among the atoms of ``elements`` (all atoms: None): (i, j, distance Å, vector i->j Å),
    with i and j indices into ``atoms``. ``full=False`` gives each pair once, in one of
    its two orders."""
    if elements is None:
        index = np.arange(len(atoms))
    else:
        wanted = [atomic_numbers[s] for s in elements]
        index = np.flatnonzero(np.isin(atoms.numbers, wanted))
    i, j, d, vec = NeighborList(cutoff=cutoff, full_list=full).compute(
        atoms.positions[index], atoms.cell[:], atoms.pbc.tolist(), "ijdD"
    )
    return index[i.astype(np.intp)], index[j.astype(np.intp)], d, vec


def frame_observables(
    atoms: Atoms,
    pairs: Sequence[tuple[str, str]],
    r_max: float = 8.0,
    n_bins: int = 160,
    cutoff: float = ZN_N_CUTOFF,
    metal: str = "Zn",
    donor: str = "N",
) -> dict:
    """What one pair search of a frame gives: g_ab(r) of each element pair (``rdf``:
    {pair: g}, normalised as in :func:`partial_rdfs`), the number of donors within
    ``cutoff`` (Å) of each metal atom (``coordination``, in the metals' order) and every
    donor-metal-donor angle in degrees (``angles``)."""
    elements = {s for pair in pairs for s in pair} | {metal, donor}
    i, j, d, vec = neighbour_pairs(atoms, max(r_max, cutoff), elements, full=False)
    rdf = _frame_rdfs(atoms, i, j, d, pairs, r_max, n_bins)
    z, m, n = atoms.numbers, atomic_numbers[metal], atomic_numbers[donor]
    near = d < cutoff
    forward = near & (z[i] == m) & (z[j] == n)  # each bond once, metal first or second
    backward = near & (z[i] == n) & (z[j] == m)
    at = np.r_[i[forward], j[backward]]
    unit = np.r_[vec[forward], -vec[backward]] / np.r_[d[forward], d[backward]][:, None]
    coordination = np.bincount(at, minlength=len(atoms))[z == m]
    return {"rdf": rdf, "coordination": coordination, "angles": _angles_at(at, unit)}


def partial_rdfs(
    frames: Sequence[Atoms],
    pairs: Sequence[tuple[str, str]],
    r_max: float = 8.0,
    n_bins: int = 160,
) -> tuple[np.ndarray, dict[tuple[str, str], np.ndarray]]:
    """g_ab(r) of several element pairs averaged over frames, normalised so that an
    ideal gas gives 1; one pair search per frame serves every pair.

    g_ab(r) = V / (N_a N_b) * n_ab(r) / (4 pi r^2 dr), where n_ab counts, for each a
    atom, the b atoms in the shell (a == b: pairs i != j). Returns (bin centres Å,
    {pair: g}).
    """
    totals = {tuple(pair): np.zeros(n_bins) for pair in pairs}
    elements = {s for pair in totals for s in pair}
    for atoms in frames:
        i, j, d, _ = neighbour_pairs(atoms, r_max, elements, full=False)
        for pair, g in _frame_rdfs(atoms, i, j, d, list(totals), r_max, n_bins).items():
            totals[pair] += g
    return rdf_bins(r_max, n_bins), {pair: g / len(frames) for pair, g in totals.items()}


def partial_rdf(
    frames: Sequence[Atoms], a: str, b: str, r_max: float = 8.0, n_bins: int = 160
) -> tuple[np.ndarray, np.ndarray]:
    """g_ab(r) of one element pair (see :func:`partial_rdfs`); returns (r Å, g)."""
    r, g = partial_rdfs(frames, [(a, b)], r_max, n_bins)
    return r, g[(a, b)]


def rdf_bins(r_max: float, n_bins: int) -> np.ndarray:
    """Centres (Å) of the RDF's ``n_bins`` equal shells from 0 to ``r_max`` Å."""
    edges = np.linspace(0.0, r_max, n_bins + 1)
    return 0.5 * (edges[1:] + edges[:-1])


def _frame_rdfs(atoms, i, j, d, pairs, r_max, n_bins) -> dict:
    """g_ab(r) of one frame for each pair, from its pairs (i, j, d) within ``r_max``,
    each pair of atoms once (a half list)."""
    shells = 4.0 / 3.0 * np.pi * np.diff(np.linspace(0.0, r_max, n_bins + 1) ** 3)
    z = atoms.numbers
    zi, zj = z[i], z[j]
    found = {}
    for a, b in pairs:
        za, zb = atomic_numbers[a], atomic_numbers[b]
        n_a, n_b = np.count_nonzero(z == za), np.count_nonzero(z == zb)
        if n_a == 0 or n_b == 0:
            raise ValueError(f"no {a} or no {b} atoms in the frame")
        if za == zb:  # each a-a pair is in the shell of both of its atoms
            chosen, twice, norm = (zi == za) & (zj == za), 2.0, n_a * (n_b - 1)
        else:
            chosen = ((zi == za) & (zj == zb)) | ((zi == zb) & (zj == za))
            twice, norm = 1.0, n_a * n_b
        # numpy's equal-bin path places each distance exactly as the bin edges would
        counts, _ = np.histogram(d[chosen], bins=n_bins, range=(0.0, r_max))
        found[(a, b)] = twice * counts / shells * atoms.get_volume() / norm
    return found


def pmf(r: np.ndarray, g: np.ndarray, temperature_K: float) -> np.ndarray:
    """F(r) = -k_B T ln(g / g_max) in kJ/mol (NaN where g = 0)."""
    with np.errstate(divide="ignore"):
        f = -kB * temperature_K * np.log(g / g.max())
    f[~np.isfinite(f)] = np.nan
    return f / (kJ / mol)


def bonds(
    atoms: Atoms, cutoff: float = ZN_N_CUTOFF, metal: str = "Zn", donor: str = "N"
) -> tuple[np.ndarray, ...]:
    """Metal-donor pairs within ``cutoff`` (Å): (metal index, donor index, distance Å,
    vector metal->donor Å)."""
    symbols = np.array(atoms.get_chemical_symbols())
    i, j, d, vec = neighbour_pairs(atoms, cutoff, {metal, donor})
    keep = (symbols[i] == metal) & (symbols[j] == donor)
    return i[keep], j[keep], d[keep], vec[keep]


def coordination(
    atoms: Atoms, cutoff: float = ZN_N_CUTOFF, metal: str = "Zn", donor: str = "N"
) -> np.ndarray:
    """Number of donors within ``cutoff`` (Å) of each metal atom, in their order."""
    own = np.flatnonzero(np.array(atoms.get_chemical_symbols()) == metal)
    i, *_ = bonds(atoms, cutoff, metal, donor)
    counts = np.bincount(i, minlength=len(atoms))
    return counts[own]


def quantity_names(chemistry: Chemistry | None = None) -> dict[str, str]:
    """The summary's names for the coordination, the bond angle at the metal and the
    metal-linker-metal angle: ``zn_n_coordination``, ``n_zn_n_angle``, ``zn_im_zn_angle``
    in a ZIF; ``zn_o_coordination``, ``o_zn_o_angle``, ``zn_bdc_zn_angle`` in MOF-5."""
    m, d, linker = (
        ("Zn", "N", "im")
        if chemistry is None
        else (
            chemistry.metal,
            chemistry.donor,
            chemistry.linker_name,
        )
    )
    m, d = m.lower(), d.lower()
    return {
        "coordination": f"{m}_{d}_coordination",
        "angle": f"{d}_{m}_{d}_angle",
        "bridge": f"{m}_{linker}_{m}_angle",
    }


def coordination_summary(
    frames: Iterable[Atoms], cutoff: float = ZN_N_CUTOFF, metal: str = "Zn", donor: str = "N"
) -> dict:
    """Mean metal-donor coordination (``zn_n_coordination`` for Zn and N) and the
    fractions of 3-, 4- and 5-coordinated metal atoms."""
    cn = np.concatenate([coordination(a, cutoff, metal, donor) for a in frames])
    return {
        f"{metal.lower()}_{donor.lower()}_coordination": float(cn.mean()),
        "fraction_cn3": float(np.mean(cn == 3)),
        "fraction_cn4": float(np.mean(cn == 4)),
        "fraction_cn5": float(np.mean(cn == 5)),
    }


def bond_angles(
    atoms: Atoms, cutoff: float = ZN_N_CUTOFF, metal: str = "Zn", donor: str = "N"
) -> np.ndarray:
    """Every donor-metal-donor angle (degrees; N-Zn-N in a ZIF) with both bonds within
    ``cutoff`` (Å)."""
    i, _, d, vec = bonds(atoms, cutoff, metal, donor)
    return _angles_at(i, vec / d[:, None])


def _angles_at(i: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """Angles (degrees) between every two bonds of the same atom, given each bond's atom
    ``i`` and unit vector."""
    # pairs of bonds of the same atom: sort by atom, then take all pairs within each run
    # of equal i, vectorised over runs of the same length
    order = np.argsort(i, kind="stable")
    i, unit = i[order], unit[order]
    starts = np.flatnonzero(np.r_[True, i[1:] != i[:-1]])
    sizes = np.diff(np.r_[starts, len(i)])
    first, second = [], []
    for size in np.unique(sizes):
        blocks = starts[sizes == size]
        a, b = np.triu_indices(size, k=1)
        first.append((blocks[:, None] + a).ravel())
        second.append((blocks[:, None] + b).ravel())
    if not first:
        return np.zeros(0)
    first, second = np.concatenate(first), np.concatenate(second)
    cos = np.einsum("ij,ij->i", unit[first], unit[second])
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def linkers(atoms: Atoms, bond_scale: float = 1.2) -> list[np.ndarray]:
    """Atom indices of each linker: connected components of the covalent graph of the
    non-metal atoms (bonded when closer than ``bond_scale`` times the sum of their
    covalent radii)."""
    symbols = np.array(atoms.get_chemical_symbols())
    organic = np.array([not is_metal(s) for s in symbols])
    present = sorted(set(symbols[organic]))
    radius = {s: covalent_radii[atomic_numbers[s]] for s in present}
    cutoffs = {(a, b): bond_scale * (radius[a] + radius[b]) for a in present for b in present}
    i, j = neighbour_list("ij", atoms, cutoffs)
    keep = organic[i] & organic[j]
    graph = coo_matrix((np.ones(keep.sum()), (i[keep], j[keep])), shape=(len(atoms),) * 2)
    _, labels = connected_components(graph, directed=False)
    return [np.flatnonzero((labels == k) & organic) for k in np.unique(labels[organic])]


def metal_linker_graph(
    atoms: Atoms, cutoff: float = ZN_N_CUTOFF, metal: str = "Zn", donor: str = "N"
) -> tuple[Atoms, list[np.ndarray]]:
    """The metal-linker net of a bridging framework (the Zn-Im net of a ZIF): the metal
    atoms plus one node per linker at the midpoint of its donors.

    Returns the reduced structure (metals, and linker nodes as He) and the linkers.
    Fragments without a donor (an H split off a hot linker) bind no metal and are left out.
    """
    symbols_all = np.array(atoms.get_chemical_symbols())
    groups = [g for g in linkers(atoms) if np.any(symbols_all[g] == donor)]
    zn = np.flatnonzero(symbols_all == metal)
    nodes = [atoms.positions[k] for k in zn]
    symbols = [metal] * len(zn)
    for group in groups:
        n_atoms = group[symbols_all[group] == donor]
        ref = atoms.positions[n_atoms[0]]
        shifts = mic(atoms.positions[n_atoms] - ref, atoms)
        nodes.append(ref + shifts.mean(axis=0))
        symbols.append("He")
    reduced = Atoms(symbols, positions=nodes, cell=atoms.cell, pbc=atoms.pbc)
    return reduced, groups


def bridging_angles(
    atoms: Atoms, cutoff: float = ZN_N_CUTOFF, metal: str = "Zn", donor: str = "N"
) -> np.ndarray:
    """Metal-linker-metal angles (degrees; Zn-Im-Zn in a ZIF) at each linker node (the
    midpoint of its donors) bridging two metal atoms; each donor binds one metal, so
    this is the linker's bridging angle."""
    reduced, groups = metal_linker_graph(atoms, cutoff, metal, donor)
    zn_index = np.flatnonzero(np.array(atoms.get_chemical_symbols()) == metal)
    position = {int(k): m for m, k in enumerate(zn_index)}
    owner = {int(k): len(zn_index) + g for g, group in enumerate(groups) for k in group}
    i, j, *_ = bonds(atoms, cutoff, metal, donor)
    bound: dict[int, list[int]] = {}
    for a, b in zip(i, j, strict=True):
        bound.setdefault(owner[int(b)], []).append(position[int(a)])
    angles = []
    for node, zns in bound.items():
        if len(zns) != 2:
            continue
        v = mic(reduced.positions[zns] - reduced.positions[node], reduced)
        cos = v[0] @ v[1] / np.linalg.norm(v[0]) / np.linalg.norm(v[1])
        angles.append(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
    return np.array(angles)


def rings(
    atoms: Atoms,
    max_zn: int = 16,
    cutoff: float = ZN_N_CUTOFF,
    min_width: float = 25.0,
    metal: str = "Zn",
    donor: str = "N",
) -> dict[int, float]:
    """Shortest-path rings of the metal-linker net per cell (the Zn-Im net of a ZIF),
    counted by number of metal atoms.

    Each linker is a node between the two metal atoms its donors bind (within
    ``cutoff`` Å). A ring of n metals has 2n members; the search stops at ``2 * max_zn``.
    A cell narrower than ``min_width`` (Å) is repeated first, so that no ring closes
    through its own periodic image (the 272-atom ZIF-4 cell would show only its 4-rings),
    and the counts are divided by the number of repeats.
    """
    widths = atoms.cell.volume / np.linalg.norm(
        np.cross(atoms.cell[[1, 2, 0]], atoms.cell[[2, 0, 1]]), axis=1
    )
    repeat = [
        int(np.ceil(min_width / w)) if p else 1 for w, p in zip(widths, atoms.pbc, strict=True)
    ]
    if max(repeat) > 1:
        counts = rings(atoms.repeat(repeat), max_zn, cutoff, 0.0, metal, donor)
        return {n: c / int(np.prod(repeat)) for n, c in counts.items()}
    reduced, groups = metal_linker_graph(atoms, cutoff, metal, donor)
    zn_index = np.flatnonzero(np.array(atoms.get_chemical_symbols()) == metal)
    position = {int(k): m for m, k in enumerate(zn_index)}
    owner = {}
    for g, group in enumerate(groups):
        for k in group:
            owner[int(k)] = len(zn_index) + g
    i, j, *_ = bonds(atoms, cutoff, metal, donor)
    edges = {(position[int(a)], owner[int(b)]) for a, b in zip(i, j, strict=True)}
    return _shortest_path_rings(reduced, edges, 2 * max_zn)


def _shortest_path_rings(reduced: Atoms, edges: set, max_members: int) -> dict[int, int]:
    """Franzblau shortest-path rings of an explicit periodic graph, with matscipy's
    ring search (its C routines take the graph as a neighbour list with bond vectors;
    a closed path whose bond vectors do not sum to zero wraps the cell and is not a
    ring)."""
    from matscipy.ffi import distances_on_graph, find_sp_rings

    pairs = sorted({(a, b) for a, b in edges} | {(b, a) for a, b in edges})
    i = np.array([a for a, _ in pairs], dtype=np.int32)
    j = np.array([b for _, b in pairs], dtype=np.int32)
    vectors = mic(reduced.positions[j] - reduced.positions[i], reduced)
    graph = distances_on_graph(i, j)
    counts = np.zeros(max_members + 1)
    found = find_sp_rings(i, j, vectors, graph, max_members)
    counts[: len(found)] += found
    return {n // 2: int(c) for n, c in enumerate(counts) if c and n % 2 == 0}


def site_distance(atoms: Atoms, crystal: Atoms, metal: str = "Zn") -> float:
    """How far a structure's metal atoms sit from the crystal's metal sites (Å): the RMS
    distance of each metal to the nearest metal site of ``crystal``, for the best
    translation of the whole structure (each crystal site taken in turn as the image of
    its first metal), in fractional coordinates of each cell so that a cell that
    changed shape compares too. 0 for the crystal itself; a few tenths for the crystal
    at 300 K; 2.7 Å in the ZIF-4 cell for metals placed at random, 2.2-2.9 Å for nine of
    the ten ab initio glasses of Gaillac et al. (measured). Order-independent, so
    a structure made elsewhere (the ab initio glasses) is measured the same way.

    Written here because it asks a different question from the libraries' RMSDs (ASE,
    MDAnalysis): not how far atoms moved, but whether any crystal arrangement is left."""
    repeats = np.maximum(1, np.round(atoms.cell.lengths() / crystal.cell.lengths())).astype(int)
    crystal = crystal.repeat(tuple(repeats))  # a supercell's glass against its crystal's
    ours = atoms.get_scaled_positions()[np.array(atoms.get_chemical_symbols()) == metal]
    sites = crystal.get_scaled_positions()[np.array(crystal.get_chemical_symbols()) == metal]
    if not len(ours) or len(ours) != len(sites):
        return float("nan")
    best = np.inf
    for shift in sites - ours[0]:
        delta = sites[None, :, :] - (ours[:, None, :] + shift)  # (ours, sites, 3)
        delta -= np.round(delta)
        cart = delta @ atoms.cell.array
        nearest = np.linalg.norm(cart, axis=2).min(axis=1)
        best = min(best, float(np.sqrt(np.mean(nearest**2))))
    return best


def random_site_distance(crystal: Atoms, metal: str = "Zn", draws: int = 8) -> float:
    """:func:`site_distance` of the crystal's metals placed at random in its cell (Å),
    the mean of ``draws`` seeded placements: how far a structure with no memory of the
    crystal's sites would be (2.7 Å in ZIF-4)."""
    rng = np.random.default_rng(0)
    values = []
    for _ in range(draws):
        placed = crystal.copy()
        scaled = placed.get_scaled_positions()
        mask = np.array(placed.get_chemical_symbols()) == metal
        scaled[mask] = rng.random((int(mask.sum()), 3))
        placed.set_scaled_positions(scaled)
        values.append(site_distance(placed, crystal, metal))
    return float(np.mean(values))


def density(atoms: Atoms) -> float:
    """Mass density in g/cm³."""
    return float(atoms.get_masses().sum() / atoms.get_volume() * 1.66053906660)


def pore_volume(atoms: Atoms, probe_radius: float = 1.2, samples: int = 50000) -> float:
    """Total (accessible + non-accessible) pore volume for a probe of ``probe_radius`` Å,
    in cm³/kg, from Zeo++'s Monte Carlo volume (pyzeo).

    In a process that has loaded LAMMPS, Zeo++ runs in a fresh one: liblammps exports
    its own voro++ and pyzeo's calls then end in it (std::bad_alloc after tens of GB).
    """
    if "lammps" in sys.modules:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            return pool.submit(_pore_volume, atoms, probe_radius, samples).result()
    return _pore_volume(atoms, probe_radius, samples)


def _pore_volume(atoms: Atoms, probe_radius: float, samples: int) -> float:
    import tempfile
    from pathlib import Path

    import ase.io
    from pyzeo import AtomNetwork, volume

    with tempfile.TemporaryDirectory() as tmp, _quiet_stdout(), science("zeo++"):
        ase.io.write(Path(tmp) / "frame.cif", atoms)
        net = AtomNetwork.read_from_CIF(str(Path(tmp) / "frame.cif"))
        text = volume(net, probe_radius, probe_radius, samples)
    av = _zeo_value(text, "AV_cm^3/g") + _zeo_value(text, "NAV_cm^3/g")
    return av * 1000.0


@contextlib.contextmanager
def _quiet_stdout():
    """Silence Zeo++'s C++ progress output (file descriptor 1) for the duration."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def _zeo_value(text: str | bytes, key: str) -> float:
    text = text.decode() if isinstance(text, bytes) else text
    words = text.split()
    return float(words[words.index(key + ":") + 1])


def mic(vectors: np.ndarray, atoms: Atoms) -> np.ndarray:
    """Minimum-image vectors in the cell of ``atoms`` (ASE's ``find_mic``)."""
    if not atoms.pbc.any():
        return vectors
    return find_mic(vectors, atoms.cell, atoms.pbc)[0]


#: Columns of a structural summary (see :mod:`mofglass.statistics`).
SUMMARY_COLUMNS = statistics.ESTIMATE_COLUMNS


def _judge_disorder(row: dict, crystal: Atoms, metal: str) -> None:
    """A melt-quench whose metals stayed less than half as far from the crystal's sites
    as random placement would put them is a distorted crystal, not a glass: its site
    distance (``row``, in place) gets the status ``crystalline`` and says so."""
    limit = 0.5 * random_site_distance(crystal, metal)
    if row["status"] == statistics.OK and row["value"] < limit:
        row["status"] = statistics.CRYSTALLINE
        row["reason"] = (
            f"the {metal} sit {row['value']:.2f} Å from the crystal's sites, less than half "
            f"the {2 * limit:.2f} Å of random placement: a distorted crystal, not a glass"
        )


def analyse(
    frames: Sequence[Atoms],
    settings: dict,
    temperature_K: float,
    independent: bool = False,
    reference_density: float | None = None,
    chemistry: Chemistry | None = None,
    crystal: Atoms | None = None,
) -> dict:
    """Every structural quantity of a set of frames.

    ``temperature_K`` is the temperature the frames were sampled at: the PMFs
    -k_B T ln g are only free energies at that temperature. ``independent`` frames
    (separate structures, replicas) get the standard error over frames; frames of one
    trajectory get block-average errors. Returns a dict with the tables ``rdf``,
    ``pmf``, ``angles`` (pandas DataFrames) and ``summary`` (one row per quantity:
    value, error, unit, samples, status; a density more than 50 % from
    ``reference_density`` (g/cm³, the structure the frames started from; the first
    frame's by default) is unphysical). ``chemistry`` names the metal, its donor and
    their cutoff, and whether metal-linker-metal angles and rings apply (a bridging
    framework); by default it is read from the first frame. The RDF pairs are
    ``settings['rdf']['pairs']``, or the chemistry's when that is null. With a
    ``crystal`` (a glass's), the summary also says how far the frames' metals sit from
    its metal sites (:func:`site_distance`, Å).
    """
    import pandas as pd

    from .chemistry import derive

    chemistry = chemistry or derive(frames[0])
    pairs = [tuple(p) for p in settings["rdf"].get("pairs") or chemistry.rdf_pairs]
    rdf, pmfs, numbers, angles = _pair_tables(
        frames, pairs, settings["rdf"], chemistry, temperature_K
    )
    per_frame, units = _per_frame(frames, numbers, angles, chemistry, settings, crystal)

    def estimate(name, values) -> dict:
        if independent:  # replicas, a structure set, or one given structure (exact)
            found = statistics.independent_mean(values, exact=len(frames) == 1)
        else:
            found = statistics.trajectory_mean(values)
        reference = (reference_density or density(frames[0])) if name == "density" else None
        return statistics.judge(found, name, reference_density=reference).row()

    rows = [
        {"quantity": name, "unit": units[name], **estimate(name, values)}
        for name, values in per_frame.items()
    ]
    if crystal is not None:
        site_key = f"{chemistry.metal.lower()}_site_distance"
        _judge_disorder(
            rows[[r["quantity"] for r in rows].index(site_key)], crystal, chemistry.metal
        )
    return {
        "rdf": pd.DataFrame(rdf),
        "pmf": pd.DataFrame(pmfs).assign(temperature_K=float(temperature_K)),
        "angles": _angle_table(np.concatenate(angles), temperature_K),
        "summary": pd.DataFrame(rows, columns=SUMMARY_COLUMNS),
    }


def _pair_tables(
    frames: Sequence[Atoms], pairs: list, block: Mapping, chemistry: Chemistry, temperature_K: float
) -> tuple[dict, dict, list[np.ndarray], list[np.ndarray]]:
    """One pair search per frame: the mean RDF and PMF columns of each pair (``block``:
    r_max_A, bins), and each frame's metal coordination numbers and donor-metal-donor
    angles (deg)."""
    cutoff, metal, donor = chemistry.cutoff_A, chemistry.metal, chemistry.donor
    r_max, n_bins = block["r_max_A"], block["bins"]
    rdfs = {pair: np.zeros(n_bins) for pair in pairs}
    numbers, angles = [], []
    for atoms in frames:
        found = frame_observables(atoms, pairs, r_max, n_bins, cutoff, metal, donor)
        for pair, g in found["rdf"].items():
            rdfs[pair] += g / len(frames)
        numbers.append(found["coordination"])
        angles.append(found["angles"])
    r = rdf_bins(r_max, n_bins)
    rdf_columns, pmf_columns = {}, {}
    for a, b in pairs:
        g = rdfs[(a, b)]
        rdf_columns["r_A"] = r
        rdf_columns[f"g_{a}_{b}"] = g
        pmf_columns["r_A"] = r
        pmf_columns[f"F_{a}_{b}_kJ_per_mol"] = pmf(r, g, temperature_K)
    return rdf_columns, pmf_columns, numbers, angles


def _angle_table(all_angles: np.ndarray, temperature_K: float):
    """The donor-metal-donor angle distribution (1/deg) on 1° bins from 60 to 180° and
    its PMF (kJ/mol) at ``temperature_K``."""
    import pandas as pd

    edges = np.linspace(60.0, 180.0, 121)
    hist, _ = np.histogram(all_angles, bins=edges, density=True)
    centres = 0.5 * (edges[1:] + edges[:-1])
    with np.errstate(divide="ignore"):
        angular_pmf = -kB * temperature_K * np.log(hist / hist.max()) / (kJ / mol)
    angular_pmf[~np.isfinite(angular_pmf)] = np.nan
    return pd.DataFrame(
        {
            "angle_deg": centres,
            "p_per_deg": hist,
            "F_kJ_per_mol": angular_pmf,
            "temperature_K": float(temperature_K),
        }
    )


def _per_frame(
    frames: Sequence[Atoms],
    numbers: list[np.ndarray],
    angles: list[np.ndarray],
    chemistry: Chemistry,
    settings: Mapping,
    crystal: Atoms | None,
) -> tuple[dict[str, list[float]], dict[str, str]]:
    """Each summary quantity's value per frame (the graph analyses on every
    ``len(frames) // rings.frames``-th frame, pores on every ``pores.frames``-th), and
    its unit."""
    cutoff, metal, donor = chemistry.cutoff_A, chemistry.metal, chemistry.donor
    names = quantity_names(chemistry)
    ring_every = max(1, len(frames) // settings["rings"]["frames"])  # graph analyses
    angle, bridge = names["angle"], names["bridge"]
    per_frame = {
        names["coordination"]: [cn.mean() for cn in numbers],
        "fraction_cn3": [np.mean(cn == 3) for cn in numbers],
        "fraction_cn4": [np.mean(cn == 4) for cn in numbers],
        "fraction_cn5": [np.mean(cn == 5) for cn in numbers],
        f"{angle}_mean": [x.mean() for x in angles],
        f"{angle}_std": [x.std() for x in angles],
    }
    units = {name: "" for name in per_frame} | {f"{angle}_mean": "deg", f"{angle}_std": "deg"}
    if chemistry.bridging:  # metal-linker-metal angles are defined
        bridges = [bridging_angles(a, cutoff, metal, donor) for a in frames[::ring_every]]
        per_frame[f"{bridge}_mean"] = [x.mean() for x in bridges]
        per_frame[f"{bridge}_std"] = [x.std() for x in bridges]
        units |= {f"{bridge}_mean": "deg", f"{bridge}_std": "deg"}
    per_frame["density"] = [density(a) for a in frames]
    units |= {"density": "g/cm3", "pore_volume": "cm3/kg"}
    if crystal is not None:
        site_key = f"{metal.lower()}_site_distance"
        per_frame[site_key] = [site_distance(a, crystal, metal) for a in frames[::ring_every]]
        units[site_key] = "A"
    pores = settings["pores"]
    every = max(1, len(frames) // max(1, pores["frames"]))
    if pores["frames"] > 0:
        per_frame["pore_volume"] = [
            pore_volume(a, pores["probe_radius_A"], pores["samples"]) for a in frames[::every]
        ]
    ring_counts = []
    if chemistry.bridging:
        max_zn = settings["rings"]["max_zn"]
        ring_counts = [rings(a, max_zn, cutoff, 25.0, metal, donor) for a in frames[::ring_every]]
    for n in sorted({n for r in ring_counts for n in r}):
        key = f"rings_{n}_{metal.lower()}_per_cell"
        per_frame[key] = [r.get(n, 0.0) for r in ring_counts]
        units[key] = ""
    return per_frame, units
