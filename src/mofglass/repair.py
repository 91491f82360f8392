"""Teacher repair: a pair term on a soft bond, learnt from DFT single points.

Universal potentials bind the metal-linker bond of a MOF too weakly (SevenNet-0 + D3
resists pulling a Zn 1 Å off its N with 63-69 % of PBE-D3's energy, bench/README.md),
so their liquids lose linkers and their glasses are under-coordinated. The repair adds
to a base level (a calculator level) a sum over metal-donor pairs of a short-ranged
function, fitted by linear least squares to the difference between real DFT single
points and the base level on the same geometries:

    E_repaired = E_base + sum_{pairs ij} f(r_ij),  f(r) = s(r) sum_k c_k exp(-(r - mu_k)^2 / 2w^2)

(:mod:`mofglass.calculators.pairterm` holds the form; it is what the level's own Python
evaluates). The DFT points are what CP2K can afford: a fragment cut from the structure
(one metal with some of its linkers, whole, in a box with vacuum), its metal pulled
along each of its bonds to the donors and pushed in, and thermally rattled copies.

Units: Å, eV, eV/Å.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from ase import Atoms
from ase.geometry import find_mic

from .calculators import pairterm
from .chemistry import Chemistry, bond_graph, is_metal, linker_components


class RepairError(ValueError):
    """A repair that cannot be built from its points, or that would make its level worse."""


@dataclass(frozen=True)
class Points:
    """How the DFT points of a repair are made from a structure.

    ``cut``: ``fragment`` (one metal with ``linkers`` of its linkers, whole, in a box
    with ``vacuum_A`` on each side; two imidazolates and a Zn make the neutral Zn(Im)2)
    or ``cell`` (the structure's own periodic cell); ``charge``: its net charge (e);
    ``stretches_A``: moves of the first metal along its bonds to donors (positive: away
    from the donor), along ``bonds`` of them (None: all); ``rattles``: thermally
    displaced copies of those geometries, Gaussian with ``sigma_A`` per Cartesian
    component, drawn from ``seed``.
    """

    cut: str = "cell"
    linkers: int = 2
    charge: int = 0
    vacuum_A: float = 4.0
    stretches_A: tuple[float, ...] = (-0.2, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2)
    bonds: int | None = 1
    rattles: int = 4
    sigma_A: float = 0.05
    seed: int = 0

    @classmethod
    def from_config(cls, block: Mapping | None) -> Points:
        block = dict(block or {})
        if "stretches_A" in block:
            block["stretches_A"] = tuple(float(s) for s in block["stretches_A"])
        return cls(**block)


@dataclass(frozen=True)
class Term:
    """The pair term's form (not its coefficients): the element pairs it acts on, the
    Gaussians' centres from ``r_min_A`` to ``cutoff_A`` and their width, the switch
    that takes it smoothly to zero over ``switch_A`` before the cutoff."""

    pairs: tuple[tuple[str, str], ...]
    gaussians: int = 9
    r_min_A: float = 1.6
    cutoff_A: float = 3.4
    width_A: float | None = None  # default: the centres' spacing
    switch_A: float = 0.6

    @classmethod
    def from_config(cls, block: Mapping | None, chemistry: Chemistry | None = None) -> Term:
        block = dict(block or {})
        pairs = block.pop("pairs", None)
        if pairs is None:
            if chemistry is None:
                raise RepairError("the repair term names no pairs and no chemistry gives them")
            pairs = [(m, d) for m in chemistry.metals for d in chemistry.donors]
        return cls(pairs=tuple(tuple(p) for p in pairs), **block)

    def spec(self, coefficients: Sequence[float] | None = None) -> dict:
        """What :mod:`mofglass.calculators.pairterm` evaluates (JSON)."""
        centres = np.linspace(self.r_min_A, self.cutoff_A, self.gaussians)
        width = self.width_A or float(centres[1] - centres[0])
        out = {
            "pairs": [list(p) for p in self.pairs],
            "centres_A": [round(float(c), 10) for c in centres],
            "width_A": width,
            "cutoff_A": self.cutoff_A,
            "switch_A": self.switch_A,
        }
        if coefficients is not None:
            out["coefficients_eV"] = [float(c) for c in coefficients]
        return out


# --- the points ----------------------------------------------------------------------


def cut_fragment(
    atoms: Atoms,
    chemistry: Chemistry,
    linkers: int = 2,
    vacuum_A: float = 4.0,
    metal_index: int | None = None,
) -> tuple[Atoms, int]:
    """One metal of ``atoms`` with ``linkers`` of its linkers (the nearest by donor
    distance), whole, in an orthorhombic box with ``vacuum_A`` on each side; the
    fragment and the index of its metal. Positions are unwrapped by the minimum image
    from the metal, so a linker must reach less than half a cell width."""
    symbols = np.array(atoms.get_chemical_symbols())
    if metal_index is None:
        metal_index = int(np.flatnonzero(np.isin(symbols, chemistry.metals))[0])
    i, j = bond_graph(atoms, chemistry.bond_cutoffs_A)
    _, component = linker_components(i, j, np.array([is_metal(s) for s in symbols]))
    mine = (i == metal_index) & np.isin(symbols[j], chemistry.donors)
    donors = j[mine]
    distance = atoms.get_distances(metal_index, donors, mic=True)
    chosen = []
    for donor in donors[np.argsort(distance, kind="stable")]:
        if component[donor] not in chosen:
            chosen.append(component[donor])
    if len(chosen) < linkers:
        raise RepairError(
            f"atom {metal_index} ({symbols[metal_index]}) binds {len(chosen)} linkers; "
            f"the fragment asks for {linkers}"
        )
    members = np.flatnonzero(np.isin(component, chosen[:linkers]))
    vectors, _ = find_mic(atoms.positions[members] - atoms.positions[metal_index], atoms.cell)
    widths = (
        atoms.cell.perpendicular_widths() if hasattr(atoms.cell, "perpendicular_widths") else None
    )
    reach = np.abs(vectors).max()
    if widths is not None and reach >= 0.5 * min(widths):
        raise RepairError(f"a linker reaches {reach:.1f} Å: more than half the cell")
    positions = np.vstack([[0.0, 0.0, 0.0], vectors])
    numbers = np.concatenate([[atoms.numbers[metal_index]], atoms.numbers[members]])
    low, high = positions.min(axis=0), positions.max(axis=0)
    box = np.ceil((high - low + 2 * vacuum_A) * 2) / 2  # to 0.5 Å
    positions += box / 2 - (low + high) / 2
    fragment = Atoms(numbers=numbers, positions=positions, cell=np.diag(box), pbc=True)
    return fragment, 0


def cut(atoms: Atoms, chemistry: Chemistry, points: Points) -> tuple[Atoms, int]:
    """What the points are computed on (``points.cut``): a fragment of ``atoms``, or the
    cell itself; and the index of the metal that is moved."""
    if points.cut == "cell":
        symbols = np.array(atoms.get_chemical_symbols())
        return atoms.copy(), int(np.flatnonzero(np.isin(symbols, chemistry.metals))[0])
    if points.cut != "fragment":
        raise RepairError(f"points.cut: {points.cut!r} is neither fragment nor cell")
    return cut_fragment(atoms, chemistry, points.linkers, points.vacuum_A)


def geometries(
    fragment: Atoms, metal: int, chemistry: Chemistry, points: Points, name: str
) -> list[Atoms]:
    """The repair's geometries of a fragment (or cell): its metal moved along each of its
    bonds to a donor (the first ``points.bonds``, by donor index) by each stretch, then
    ``points.rattles`` Gaussian-displaced copies of those (cycling through them), each
    tagged ``run`` = ``name`` and ``step`` = its index."""
    from ase.neighborlist import neighbor_list

    symbols = np.array(fragment.get_chemical_symbols())
    i, j, d, vectors = neighbor_list("ijdD", fragment, max(chemistry.bond_cutoffs_A.values()))
    mine = np.flatnonzero((i == metal) & np.isin(symbols[j], chemistry.donors))
    mine = mine[
        d[mine]
        < [chemistry.bond_cutoffs_A.get(f"{symbols[metal]}-{symbols[j[k]]}", 0.0) for k in mine]
    ]
    mine = mine[np.argsort(j[mine], kind="stable")][: points.bonds]
    frames = [fragment.copy()]
    frames[0].info.update(stretch_A=0.0, bond=-1, rattled=False)
    for k in mine:
        donor = int(j[k])
        away = -vectors[k] / d[k]  # from the donor through the metal
        for s in points.stretches_A:
            atoms = fragment.copy()
            atoms.positions[metal] += s * away
            atoms.info.update(stretch_A=float(s), bond=donor, rattled=False)
            frames.append(atoms)
    rng = np.random.default_rng([points.seed, 7])
    for k in range(points.rattles):
        atoms = frames[k % len(frames)].copy()
        atoms.positions += rng.normal(0.0, points.sigma_A, atoms.positions.shape)
        atoms.info["rattled"] = True
        frames.append(atoms)
    for step, atoms in enumerate(frames):
        atoms.info.update(run=name, step=step, frame_id=f"{name}:{step}")
    return frames


def shipped_file(name: str):
    """The file of DFT points shipped with mofglass under ``name``."""
    from pathlib import Path

    return Path(__file__).with_name("data") / "repair" / f"{name}.extxyz"


def bare(frames: Sequence[Atoms]) -> list[Atoms]:
    """Copies of ``frames`` without results (their ``info`` kept)."""
    out = []
    for atoms in frames:
        copy = Atoms(atoms.numbers, atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
        copy.info = dict(atoms.info)
        out.append(copy)
    return out


def shipped(name: str, points: Sequence[Atoms], level_name: str, level: Mapping) -> list[Atoms]:
    """The shipped DFT points ``name``, checked to be ``points`` (same atoms, positions to
    1e-6 Å, same cells) computed at ``level`` (the CP2K level's settings recorded in the
    file's provenance); a shipped point the gate quarantined is not in the file. Raises
    :class:`RepairError` naming what differs, so that changed settings compute anew."""
    from .atomicio import read_frames
    from .levels import build

    path = shipped_file(name)
    frames = read_frames(path)
    if not frames:
        raise RepairError(f"{path}: no points")
    recorded = json.loads(frames[0].info["repair_level"])
    wanted = asdict(build(level_name, level))
    wanted.pop("name")
    if recorded != wanted:
        raise RepairError(
            f"{path}: computed at {recorded}, not at level {level_name!r} ({wanted}): set "
            "repair.shipped to null to compute the points"
        )
    by_step = {int(a.info["step"]): a for a in points}
    for atoms in frames:
        want = by_step.get(int(atoms.info["step"]))
        same = (
            want is not None
            and len(want) == len(atoms)
            and (want.numbers == atoms.numbers).all()
            and np.allclose(want.positions, atoms.positions, atol=1e-6)
            and np.allclose(want.cell.array, atoms.cell.array, atol=1e-6)
        )
        if not same:
            raise RepairError(
                f"{path}: point {atoms.info['step']} is not a geometry these settings make: "
                "set repair.shipped to null to compute the points"
            )
        atoms.info.update(
            {k: want.info[k] for k in ("run", "frame_id")}, level_of_theory=level_name
        )
    return frames


def ship(frames: Sequence[Atoms], level, path) -> None:
    """Write DFT points for shipping: each carries its level's settings (provenance)."""
    from .atomicio import write_frames

    record = asdict(level)
    record.pop("name")
    out = []
    for atoms in frames:
        atoms = atoms.copy() if atoms.calc is None else atoms
        atoms.info["repair_level"] = json.dumps(record, sort_keys=True)
        out.append(atoms)
    write_frames(path, out)


def dft_pull(dft: Sequence[Atoms], base: Sequence[Atoms], spec: dict) -> list[dict]:
    """The pull test on the DFT points: the unrattled points along their first bond (and
    the unstretched one), energies above the unstretched point (eV) of DFT, base and
    repaired."""
    repaired = apply(base, spec)
    chosen = [
        k
        for k, a in enumerate(dft)
        if not a.info.get("rattled") and int(a.info.get("bond", -1)) in (-1, _first_bond(dft))
    ]
    zero = [
        k
        for k in chosen
        if float(dft[k].info.get("stretch_A", 0)) == 0 and int(dft[k].info.get("bond", -1)) == -1
    ]
    if not zero:
        return []
    z = zero[0]
    rows = []
    for k in sorted(chosen, key=lambda k: float(dft[k].info.get("stretch_A", 0))):
        rows.append(
            {
                "stretch_A": float(dft[k].info.get("stretch_A", 0)),
                "dft_energy_eV": dft[k].get_potential_energy() - dft[z].get_potential_energy(),
                "base_energy_eV": base[k].get_potential_energy() - base[z].get_potential_energy(),
                "repaired_energy_eV": repaired[k].get_potential_energy()
                - repaired[z].get_potential_energy(),
            }
        )
    return rows


def _first_bond(frames: Sequence[Atoms]) -> int:
    bonds = [int(a.info.get("bond", -1)) for a in frames if int(a.info.get("bond", -1)) >= 0]
    return min(bonds) if bonds else -1


def point_rows(dft: Sequence[Atoms], base: Sequence[Atoms], fitted: Fit) -> list[dict]:
    """Per point: whether it was held out, its stretch, and the force RMSE (eV/Å) of the
    base and repaired levels against DFT."""
    repaired = apply(base, fitted.spec)
    rows = []
    for d, b, r in zip(dft, base, repaired, strict=True):
        rows.append(
            {
                "frame_id": d.info.get("frame_id", ""),
                "split": "test" if d.info.get("frame_id", "") in fitted.held_out else "train",
                "stretch_A": float(d.info.get("stretch_A", 0.0)),
                "rattled": bool(d.info.get("rattled", False)),
                "base_force_rmse_eV_per_A": float(
                    np.sqrt(np.mean((b.get_forces() - d.get_forces()) ** 2))
                ),
                "repaired_force_rmse_eV_per_A": float(
                    np.sqrt(np.mean((r.get_forces() - d.get_forces()) ** 2))
                ),
            }
        )
    return rows


# --- the fit -------------------------------------------------------------------------


@dataclass
class Fit:
    """A fitted repair: its term (spec with coefficients), the ridge used, and the
    errors of the base and repaired levels against DFT on the training and held-out
    points (force RMSE in eV/Å, energy RMSE in eV/atom after one offset per
    composition)."""

    spec: dict
    ridge: float
    errors: dict = field(default_factory=dict)
    held_out: list = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)


def _formula(atoms: Atoms) -> str:
    return atoms.get_chemical_formula()


def design(frames: Sequence[Atoms], spec: dict) -> tuple[np.ndarray, np.ndarray]:
    """Energy rows (frames x K) and force rows (3 N_total x K) of the pair term's
    Gaussians: the term's energy and forces are these times its coefficients."""
    energies, forces = [], []
    for atoms in frames:
        e, f, _ = pairterm.features(atoms, spec)
        energies.append(e)
        forces.append(f.reshape(-1, f.shape[-1]))
    return np.array(energies), np.vstack(forces)


def _offsets(frames: Sequence[Atoms]) -> tuple[list[str], np.ndarray]:
    """Compositions and the one-hot matrix (frames x compositions) of their offsets."""
    kinds = sorted({_formula(a) for a in frames})
    onehot = np.array([[_formula(a) == k for k in kinds] for a in frames], float)
    return kinds, onehot


def errors(dft: Sequence[Atoms], predicted: Sequence[Atoms]) -> dict:
    """Force RMSE (eV/Å) and energy RMSE (eV/atom, after the mean offset per
    composition) of ``predicted`` against ``dft``, frame by frame."""
    df = np.concatenate(
        [(p.get_forces() - d.get_forces()).ravel() for d, p in zip(dft, predicted, strict=True)]
    )
    residual = {}
    for d, p in zip(dft, predicted, strict=True):
        residual.setdefault(_formula(d), []).append(
            (p.get_potential_energy() - d.get_potential_energy()) / len(d)
        )
    de = np.concatenate([np.array(v) - np.mean(v) for v in residual.values()])
    return {
        "force_rmse_eV_per_A": float(np.sqrt(np.mean(df**2))),
        "energy_rmse_eV_per_atom": float(np.sqrt(np.mean(de**2))),
        "frames": len(dft),
    }


def fit(
    dft: Sequence[Atoms],
    base: Sequence[Atoms],
    term: Term,
    energy_weight: float = 1.0,
    ridge: float = 1e-3,
) -> np.ndarray:
    """Coefficients (eV) of ``term`` that best turn ``base`` into ``dft``, frame by frame.

    Linear least squares on the force differences (eV/Å) of every atom and the energy
    differences (eV, weighted by ``energy_weight`` per atom; one free offset per
    composition, as two levels' zeros differ), with a ridge on the coefficients so
    that Gaussians where no pair lies stay at zero."""
    if len(dft) != len(base):
        raise RepairError(f"{len(dft)} DFT points against {len(base)} base points")
    spec = term.spec()
    e_rows, f_rows = design(dft, spec)
    kinds, onehot = _offsets(dft)
    d_e = np.array(
        [
            d.get_potential_energy() - b.get_potential_energy()
            for d, b in zip(dft, base, strict=True)
        ]
    )
    d_f = np.concatenate(
        [(d.get_forces() - b.get_forces()).ravel() for d, b in zip(dft, base, strict=True)]
    )
    n_atoms = np.array([len(a) for a in dft], float)
    w = energy_weight / np.sqrt(n_atoms)
    k, m = e_rows.shape[1], len(kinds)
    a = np.vstack(
        [
            np.hstack([e_rows * w[:, None], onehot * w[:, None]]),
            np.hstack([f_rows, np.zeros((len(f_rows), m))]),
            np.hstack([np.sqrt(ridge) * np.eye(k), np.zeros((k, m))]),
        ]
    )
    b = np.concatenate([d_e * w, d_f, np.zeros(k)])
    solution, *_ = np.linalg.lstsq(a, b, rcond=None)
    return solution[:k]


def held_out(frames: Sequence[Atoms], every: int) -> tuple[list[Atoms], list[Atoms]]:
    """(train, test): every ``every``-th point (from the second) held out."""
    test = [a for k, a in enumerate(frames) if k % every == 1 % every]
    train = [a for k, a in enumerate(frames) if k % every != 1 % every]
    return train, test


def choose_ridge(
    dft: Sequence[Atoms],
    base: Sequence[Atoms],
    term: Term,
    ridges: Sequence[float],
    energy_weight: float,
    folds: int = 4,
) -> float:
    """The ridge of ``ridges`` with the lowest k-fold cross-validated force RMSE."""
    scores = []
    for ridge in ridges:
        sq, n = 0.0, 0
        for fold in range(folds):
            train = [k for k in range(len(dft)) if k % folds != fold]
            test = [k for k in range(len(dft)) if k % folds == fold]
            if not test or not train:
                continue
            c = fit([dft[k] for k in train], [base[k] for k in train], term, energy_weight, ridge)
            spec = term.spec(c)
            for k in test:
                _, f, _ = pairterm.evaluate(dft[k], spec)
                sq += float(np.sum((base[k].get_forces() + f - dft[k].get_forces()) ** 2))
                n += f.size
        scores.append(sq / max(n, 1))
    return float(ridges[int(np.argmin(scores))])


def learn(
    dft: Sequence[Atoms],
    base: Sequence[Atoms],
    term: Term,
    energy_weight: float = 1.0,
    ridges: Sequence[float] = (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0),
    test_every: int = 4,
) -> Fit:
    """Fit the term on all but every ``test_every``-th point, its ridge by cross-validation
    on those; judge base and repaired on both. Raises :class:`RepairError`, with the
    numbers, when the repaired level is worse than its base on the held-out points in
    forces or energies: such a repair is refused, not used."""
    pairs = list(zip(dft, base, strict=True))
    train, test = held_out(pairs, test_every)
    if len(train) < 2 or not test:
        raise RepairError(f"{len(pairs)} points: too few to fit on some and judge on others")
    d_train, b_train = [p[0] for p in train], [p[1] for p in train]
    d_test, b_test = [p[0] for p in test], [p[1] for p in test]
    ridge = choose_ridge(d_train, b_train, term, ridges, energy_weight)
    spec = term.spec(fit(d_train, b_train, term, energy_weight, ridge))
    result = Fit(spec=spec, ridge=ridge, held_out=[a.info.get("frame_id", "") for a in d_test])
    for split, (d, b) in {"train": (d_train, b_train), "test": (d_test, b_test)}.items():
        result.errors[f"base_{split}"] = errors(d, b)
        result.errors[f"repaired_{split}"] = errors(d, apply(b, spec))
    before, after = result.errors["base_test"], result.errors["repaired_test"]
    worse = [
        f"{key} {after[key]:.4g} against the base's {before[key]:.4g}"
        for key in ("force_rmse_eV_per_A", "energy_rmse_eV_per_atom")
        if after[key] > before[key]
    ]
    if worse:
        raise RepairError(
            f"the repair would make its level worse on its {len(test)} held-out points: "
            + "; ".join(worse)
        )
    return result


def pull(
    atoms: Atoms, chemistry: Chemistry, stretches_A: Sequence[float], name: str
) -> tuple[list[Atoms], int, np.ndarray]:
    """The pull test: the first metal of ``atoms`` moved by each stretch away from its
    nearest donor along their bond, everything else fixed; the frames (``info``:
    stretch_A, bond_A), the metal's index and the unit vector it moves along."""
    from ase.neighborlist import neighbor_list

    symbols = np.array(atoms.get_chemical_symbols())
    metal = int(np.flatnonzero(np.isin(symbols, chemistry.metals))[0])
    i, j, d, vectors = neighbor_list("ijdD", atoms, max(chemistry.bond_cutoffs_A.values()))
    mine = np.flatnonzero((i == metal) & np.isin(symbols[j], chemistry.donors))
    if not len(mine):
        raise RepairError(f"atom {metal} ({symbols[metal]}) has no donor within its bond cutoff")
    nearest = mine[np.argmin(d[mine])]
    away = -vectors[nearest] / d[nearest]  # from the donor through the metal, and on
    frames = []
    for step, s in enumerate(stretches_A):
        moved = atoms.copy()
        moved.positions[metal] += s * away
        moved.info.update(
            stretch_A=float(s),
            bond_A=float(d[nearest] + s),
            run=name,
            step=step,
            frame_id=f"{name}:{step}",
        )
        frames.append(moved)
    return frames, metal, away


def pull_table(curves: Mapping[str, Sequence[Atoms]], metal: int, away: np.ndarray) -> list[dict]:
    """Rows of a pull test: per stretch, each curve's energy above its unstretched frame
    (eV) and the force on the metal along the stretch (eV/Å; negative: back)."""
    rows = []
    first = next(iter(curves.values()))
    for k, atoms in enumerate(first):
        row = {"stretch_A": atoms.info["stretch_A"], "bond_A": atoms.info.get("bond_A")}
        for label, frames in curves.items():
            row[f"{label}_energy_eV"] = (
                frames[k].get_potential_energy() - frames[0].get_potential_energy()
            )
            row[f"{label}_force_eV_per_A"] = float(frames[k].get_forces()[metal] @ away)
        rows.append(row)
    return rows


def apply(frames: Sequence[Atoms], spec: dict) -> list[Atoms]:
    """``frames`` (with results) plus the pair term: energy and forces."""
    from ase.calculators.singlepoint import SinglePointCalculator

    out = []
    for atoms in frames:
        e, f, _ = pairterm.evaluate(atoms, spec)
        new = atoms.copy()
        new.calc = SinglePointCalculator(
            new, energy=atoms.get_potential_energy() + e, forces=atoms.get_forces() + f
        )
        out.append(new)
    return out


def config_errors(config: dict) -> Iterator[str]:
    """A repaired level's base must be a calculator level, its DFT a CP2K level, its
    structure one of the config's, its shipped points present, its pull test from 0."""
    from .levels import kind

    levels = config.get("levels_of_theory", {})
    for name, block in levels.items():
        if kind(block) != "repaired":
            continue
        key = f"levels_of_theory.{name}"
        if kind(levels.get(block["base"], {"base": None})) != "calculator":
            yield f"{key}.base: {block['base']!r} is not a calculator level of levels_of_theory"
        repair = block["repair"]
        dft = repair["level_of_theory"]
        if dft not in levels or kind(levels[dft]) != "cp2k":
            yield f"{key}.repair.level_of_theory: {dft!r} is not a CP2K level of levels_of_theory"
        if repair["structure"] not in config.get("structures", {}):
            yield f"{key}.repair.structure: no structure {repair['structure']!r}"
        if repair.get("shipped") and not shipped_file(repair["shipped"]).is_file():
            yield f"{key}.repair.shipped: mofglass ships no points {repair['shipped']!r}"
        if repair.get("pull_A", [0.0])[0] != 0:
            yield f"{key}.repair.pull_A: the first stretch must be 0 (the reference)"
