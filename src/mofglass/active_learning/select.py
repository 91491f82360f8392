"""Selection of an iteration's frames: CBAD keys on a shared coverage, a few
frames per run that bring new bins, or the committee's disagreement; a failed run's
last frame always; one row per explored frame.

Units: Å, fs, ps, K, eV; errors as in :mod:`mofglass.evaluation` (meV/atom, meV/Å).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from ase import Atoms

from ..cbad import Coverage, Resolution, Topology
from ..pool import FRAME_COLUMNS

#: Columns of an iteration's selection table (time fs, temperature K, σ_F eV/Å).
SELECTION_COLUMNS = [
    "frame_id",
    "iteration",
    *FRAME_COLUMNS,
    "selected",
    "cbad_bins_added",
    "cbad_new_bins",
    "sigma_F_max_eV_per_A",
]


class Keys:
    """CBAD keys of frames on one shared :class:`Coverage`.

    Frames with the reference structure's atoms (in its order) use the reference's
    bond topology, so a bond that breaks in MD is still the same bond type; any other
    composition gets the topology of its first frame.
    """

    def __init__(
        self,
        reference: Atoms,
        resolution: Resolution,
        bond_scale: float = 1.2,
        metal_cutoffs: Mapping[str, float] | None = None,
    ):
        self.coverage = Coverage(resolution)
        self.bond_scale = bond_scale
        self.metal_cutoffs = metal_cutoffs
        self._topologies: dict[tuple, tuple[Topology, np.ndarray]] = {}
        self._topology(reference)

    def _topology(self, atoms: Atoms) -> tuple[Topology, np.ndarray]:
        signature = tuple(atoms.numbers)
        if signature not in self._topologies:
            topology = Topology.from_atoms(atoms, self.bond_scale, self.metal_cutoffs)
            self._topologies[signature] = (topology, self.coverage.register(topology))
        return self._topologies[signature]

    def __call__(self, atoms: Atoms) -> np.ndarray:
        """Global (type, bin) keys of a frame."""
        topology, type_ids = self._topology(atoms)
        keys = topology.keys(atoms, self.coverage.resolution)
        return np.unique(self.coverage.globalise(keys, type_ids))


def _caps(cap: int | Sequence[int], runs: int) -> list[int]:
    return [cap] * runs if isinstance(cap, int) else list(cap)


def pick_per_run(
    coverage: Coverage, runs: Sequence[Sequence[np.ndarray]], cap: int | Sequence[int]
) -> list[list[tuple[int, list[int]]]]:
    """CBAD with at most ``cap`` frames per run (or ``cap[r]`` from run r), runs in
    order.

    In each run the frame with the most bins not yet seen is taken first (then its bins
    count as seen), until ``cap`` frames or no frame brings a new bin. Returns, per
    run, (frame position, its new bins) of the picks. Sharma & Sanvito keep the first
    frame with a new bin; the most novel one is the better use of a label.
    """
    picks = []
    for keys, most in zip(runs, _caps(cap, len(runs)), strict=True):
        chosen: list[tuple[int, list[int]]] = []
        taken: set[int] = set()
        for _ in range(most):
            best, best_new = -1, []
            for position, frame_keys in enumerate(keys):
                if position in taken:
                    continue
                new = [k for k in frame_keys.tolist() if k not in coverage.seen]
                if len(new) > len(best_new):
                    best, best_new = position, new
            if best < 0:
                break
            coverage.seen.update(best_new)
            taken.add(best)
            chosen.append((best, best_new))
        for frame_keys in keys:
            coverage.visited.update(frame_keys.tolist())
        picks.append(chosen)
    return picks


def new_bins(coverage: Coverage, keys: Sequence[np.ndarray]) -> int:
    """Bins that the frames visit and the coverage has not seen."""
    if not keys:
        return 0
    return len(set(np.concatenate(list(keys)).tolist()) - coverage.seen)


def pick_by_committee(
    sigmas: Sequence[np.ndarray], low: float, high: float, cap: int | Sequence[int]
) -> tuple[list[list[tuple[int, list]]], int]:
    """DP-GEN's trust window, per run: of the frames whose committee force deviation σ_F
    (eV/Å) lies in (low, high], at most ``cap``, the least certain first; frames above
    ``high`` are taken as broken and discarded, those at or below ``low`` as known
    (``cap`` as in :func:`pick_per_run`).
    Returns the picks in :func:`pick_per_run`'s shape (position, no bins) and the
    number of frames discarded."""
    picks, discarded = [], 0
    for sigma, most in zip(sigmas, _caps(cap, len(sigmas)), strict=True):
        sigma = np.asarray(sigma, dtype=float)
        discarded += int(np.sum(sigma > high))
        window = np.flatnonzero((sigma > low) & (sigma <= high))
        order = window[np.argsort(-sigma[window], kind="stable")][:most]
        picks.append([(int(k), []) for k in order])
    return picks, discarded


def pick(
    settings: Mapping,
    coverage: Coverage,
    run_keys: Sequence[Sequence[np.ndarray]],
    sigmas: Sequence[np.ndarray] | None = None,
) -> tuple[list, int | None]:
    """The picks per run: by the committee's σ_F (eV/Å, per explored frame) in the
    trust window of ``settings`` where ``sigmas`` are given, else by CBAD; at most
    ``caps`` (per run, where biased runs have their own) or ``cap`` frames. Also the
    number of frames beyond the trust window (None with CBAD)."""
    cap = settings.get("caps", settings["cap"])
    if sigmas is None:
        return pick_per_run(coverage, run_keys, cap), None
    trust = settings["trust"]
    return pick_by_committee(sigmas, trust["low_eV_per_A"], trust["high_eV_per_A"], cap)


def with_failures(
    coverage: Coverage, runs: Sequence[Sequence[Atoms]], run_keys: Sequence, picks: list
) -> list:
    """The picks per run, (position, new bins), and where a run failed its last frame:
    that is where the model went wrong, labelled even when the selector saw nothing new
    there (CBAD's bins stop seeing a stretched Zn-N bond once one such frame is in; a
    committee may call it broken)."""
    for frames, frame_keys, chosen in zip(runs, run_keys, picks, strict=True):
        last = len(frames) - 1
        if frames and frames[-1].info.get("failure") and last not in dict(chosen):
            new = [k for k in frame_keys[last].tolist() if k not in coverage.seen]
            coverage.seen.update(new)
            chosen.append((last, new))
    return picks


def selection_rows(
    coverage: Coverage,
    iteration: int,
    path: str,
    frames: Sequence[Atoms],
    added: Mapping[int, list],
    sigma: np.ndarray,
) -> list[dict]:
    """One row per explored frame of the run in ``path`` (:data:`SELECTION_COLUMNS`):
    selected or not, the bins it added, the committee's σ_F (NaN when CBAD selects)."""
    rows = []
    for position, atoms in enumerate(frames):
        new = added.get(position, [])
        rows.append(
            {
                "frame_id": atoms.info["frame_id"],
                "iteration": iteration,
                "run": atoms.info["run"],
                "trajectory": path,
                "frame": position,
                "step": int(atoms.info["step"]),
                "time_fs": float(atoms.info.get("time_fs", 0.0)),
                "temperature_K": atoms.info.get("temperature_K", float("nan")),
                "selected": position in added,
                "cbad_bins_added": len(new),
                "cbad_new_bins": coverage.describe(new),
                "sigma_F_max_eV_per_A": float(sigma[position]),
            }
        )
    return rows
