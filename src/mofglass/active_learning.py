"""Temperature-driven active learning (Sharma & Sanvito): the loop's science, as data.

Iteration 0 trains model 0 on a start set: an AIMD-selected dataset, or random
perturbations (positions and cell) of the crystal, CBAD-selected and labelled.
Iteration k runs many short MD runs with model k-1 at the schedule's temperature T_k
from randomly displaced starts, keeps at most a few frames per run that bring new CBAD
bins against everything labelled so far, labels them, evaluates model k-1 on them
(the honest error on fresh frames) and retrains model k.

From ``metadynamics.from_iteration`` on, each iteration also runs ``metadynamics.runs``
explorations under a metadynamics bias of the ``enhanced_sampling`` block
(:func:`explore_biased`): the bias drives the model over the barrier it is learning, so
CBAD (or the committee) sees the states that only the bias visits, and each biased run's
hills give the exploring model's barrier (``barrier_eV`` in the records).

After every iteration the stop rule (:func:`stop_decision`) says whether the loop goes
on. The iterations are unrolled in a static DAG; an iteration after the stop does no
work and the loop's model is the last one trained.

Units: Å, fs, ps, K, eV; errors as in :mod:`mofglass.evaluation` (meV/atom, meV/Å).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from ase import Atoms

from . import enhanced
from .cbad import Coverage, Resolution, Topology
from .frames import plain
from .lammps import LAMMPSError
from .md import MDResult, recipes, run_watched
from .models import Model

# Records of one iteration (records.csv), units in the names.
COUNT_COLUMNS = (
    "md_runs",
    "md_runs_failed",
    "frames_explored",
    "new_bins_explored",
    "frames_selected",
    "frames_labelled",
    "frames_quarantined",
    "frames_selected_biased",
)
COST_COLUMNS = ("md_core_s", "select_core_s", "label_core_s", "train_core_s")
RECORD_COLUMNS = [
    "iteration",
    "temperature_K",
    "status",
    *COUNT_COLUMNS,
    "train_frames",
    "bins_covered",
    "fresh_energy_rmse_meV_per_atom",
    "fresh_forces_rmse_meV_per_A",
    "test_energy_rmse_meV_per_atom",
    "test_forces_rmse_meV_per_A",
    "model_iteration",
    "barrier_eV",
    "barrier_err_eV",
    *COST_COLUMNS,
    "stop",
    "stop_reason",
]


def temperature_at(block: Mapping, iteration: int) -> float:
    """T_k (K) of iteration k >= 1: the schedule's k-th temperature, then its last."""
    ladder = block["temperatures_K"]
    return float(ladder[min(iteration, len(ladder)) - 1])


def explores_meltquench(block: Mapping, iteration: int) -> bool:
    """Whether iteration k explores by running the melt-quench protocol (k at or past
    ``meltquench.from_iteration``) instead of MD at T_k."""
    start = (block.get("meltquench") or {}).get("from_iteration")
    return start is not None and iteration >= max(1, start)


def biased_runs(block: Mapping, iteration: int) -> int:
    """Exploration runs of iteration k under the metadynamics bias (``metadynamics``:
    from ``from_iteration`` on, ``runs`` of them, after the plain runs)."""
    meta = block.get("metadynamics") or {}
    start = meta.get("from_iteration")
    return meta["runs"] if start is not None and iteration >= max(1, start) else 0


def plain_runs(block: Mapping, iteration: int) -> int:
    """Unbiased exploration jobs of an iteration: the MD runs at T_k (the melt-quench
    runs of a melt-quench iteration), or one perturbation job at 0."""
    if iteration == 0:
        return 1
    if explores_meltquench(block, iteration):
        return block["meltquench"]["runs"]
    return block["runs"]


def runs_at(block: Mapping, iteration: int) -> int:
    """Exploration jobs of an iteration: its plain runs, then its biased ones."""
    return plain_runs(block, iteration) + biased_runs(block, iteration)


def is_biased(block: Mapping, iteration: int, run: int) -> bool:
    """Whether run ``run`` of iteration k explores under the metadynamics bias."""
    return run >= plain_runs(block, iteration) and run < runs_at(block, iteration)


def max_requests(block: Mapping, iteration: int) -> int:
    """Most frames an iteration can send to labelling."""
    if iteration == 0:
        return block["perturb"]["max_frames"]
    # CBAD's picks plus the failing frame of a run that failed
    plain = plain_runs(block, iteration) * (block["max_frames_per_run"] + 1)
    biased = (block.get("metadynamics") or {}).get("max_frames_per_run")
    return plain + biased_runs(block, iteration) * ((biased or block["max_frames_per_run"]) + 1)


def label_batches(block: Mapping, iteration: int, batch_size: int) -> int:
    """Static number of labelling batches of an iteration (some may be empty)."""
    return max(1, math.ceil(max_requests(block, iteration) / batch_size))


def perturbations(
    atoms: Atoms, count: int, position_sigma_A: float, cell_strain: float, seed: int
) -> list[Atoms]:
    """Random perturbations of a structure: every cell gets a random symmetric strain
    (components uniform in ±cell_strain, atoms follow the cell) and every atom a
    Gaussian displacement of ``position_sigma_A`` (Å) per Cartesian component."""
    rng = np.random.default_rng([seed, 0])
    out = []
    for _ in range(count):
        strain = rng.uniform(-cell_strain, cell_strain, (3, 3))
        strain = 0.5 * (strain + strain.T)
        frame = atoms.copy()
        if atoms.pbc.any():
            frame.set_cell(np.asarray(atoms.cell) @ (np.eye(3) + strain), scale_atoms=True)
        frame.positions += rng.normal(0.0, position_sigma_A, frame.positions.shape)
        out.append(frame)
    return out


def start_displacement(sigma_A: float, temperature_K: float) -> float:
    """The displacement (Å per component) of an exploration start at ``temperature_K``:
    ``sigma_A`` at 300 K and above, scaled down as thermal amplitudes, sqrt(T / 300 K),
    below. The potential energy a start holds goes as its square: 0.05 Å heats 300 K to
    about 500 K at once, which at 100 K is past the watch's 3 x T runaway limit."""
    return sigma_A * min(1.0, math.sqrt(temperature_K / 300.0))


def displaced(atoms: Atoms, sigma_A: float, seed: Sequence[int]) -> Atoms:
    """A copy with Gaussian displacements of ``sigma_A`` (Å) per component."""
    frame = atoms.copy()
    frame.positions += np.random.default_rng(list(seed)).normal(0.0, sigma_A, frame.positions.shape)
    return frame


def explore(
    model: Model,
    crystal: Atoms,
    settings: Mapping,
    seed: int,
    damping: Mapping,
    watch: Mapping,
    workdir: str | Path,
) -> tuple[list[Atoms], MDResult]:
    """One exploration run with the current model; returns the frames it offers for
    labelling (after step 0, none after the watch saw the run fail; ``time_fs`` in
    ``info``, the model's energies dropped) and the run's result.

    With a ``meltquench`` block in ``settings`` the run is the production protocol with
    its watch and segments, from the crystal itself (a displaced start holds potential
    energy that heats 300 K to ~500 K at once, which the watch calls a runaway; in the
    structure's own cell, as a label of the supercell costs 8x more); otherwise NVT or
    NPT at ``settings['temperature_K']`` from a start displaced by ``displacement_A``
    (:func:`start_displacement`).
    """
    if "meltquench" in settings:
        atoms, block = crystal.copy(), settings["meltquench"]
        protocol, watch = recipes.meltquench(block, seed, damping), block["watch"]
    else:
        sigma = start_displacement(settings["displacement_A"], settings["temperature_K"])
        atoms = displaced(crystal, sigma, [seed])
        protocol = recipes.exploration(settings, settings["temperature_K"], seed, damping)
    result, _ = run_watched(model, atoms, protocol, workdir, watch)
    kept = before_failure(result.frames, result.failed_at_ps)
    frames = [plain(f, keep_results=False) for f in kept if f.info["step"] > 0]
    if result.verdict == "failed" and frames:
        frames[-1].info["failure"] = result.reason  # labelled whatever CBAD says
    for frame in frames:
        frame.info["time_fs"] = 1000.0 * frame.info.pop("time_ps")
    return frames, result


def explore_biased(
    model: Model,
    crystal: Atoms,
    bias: enhanced.Bias,
    settings: Mapping,
    seed: int,
    workdir,
    watch: Mapping | None = None,
) -> tuple[list[Atoms], dict]:
    """One exploration run under a metadynamics bias (:func:`biased_settings`), from a
    start displaced as a plain run's at the bias's temperature, under the stability
    watch of a ``watch`` config block (None: the temperature watch only).

    Returns the frames it offers for labelling (every ``dump_every`` steps after step
    0) and its row: verdict, reason, and the barrier (eV) of ``model`` that the run's
    hills give, with its error and the simulated time (ps). A run fails where LAMMPS or
    the watch stops it, or where its temperature passes ``max_temperature_factor``
    times the bias's (a model that breaks under the bias, into a hole it has never been
    shown): its frames up to that point are offered, the first failing one flagged
    ``failure``, and it gives no barrier.
    """
    block = settings["metadynamics"]
    sigma = start_displacement(settings["displacement_A"], bias.temperature_K)
    atoms = displaced(crystal, sigma, [seed])
    run = {
        **enhanced.run_settings(block),
        "seed": seed,
        "max_temperature_factor": settings["max_temperature_factor"],
    }
    row = {"verdict": "ok", "reason": f"under bias {settings['bias']}"}
    row.update(barrier_eV=math.nan, barrier_err_eV=math.nan, simulated_ps=math.nan)
    try:
        result, _, hills = enhanced.run_metadynamics(atoms, model, bias, run, workdir, watch=watch)
    except LAMMPSError as exc:  # a model LAMMPS cannot run: no frames
        row.update(verdict="failed", reason=str(exc).strip().splitlines()[0])
        return [], row
    kept = before_failure(result.frames, result.failed_at_ps)
    frames = [plain(f, keep_results=False) for f in kept if f.info["step"] > 0]
    for frame in frames:
        frame.info["time_fs"] = 1000.0 * frame.info.pop("time_ps")
        frame.info["bias"] = settings["bias"]
    if result.verdict == "failed":
        row.update(verdict="failed", reason=result.reason)
        if frames:
            frames[-1].info["failure"] = result.reason
    elif hills is not None and len(hills) >= 4:
        free = enhanced.free_energy(hills, bias, block["barrier"], run["timestep_fs"])
        row.update(barrier_eV=free.barrier_eV, barrier_err_eV=free.barrier_err_eV)
        row["simulated_ps"] = float(free.curve["time_ps"].iloc[-1])
    return frames, row


def barrier_of_runs(rows: Sequence[Mapping]) -> tuple[float, float]:
    """The barrier (eV) of one model from its biased runs and its standard error: the
    mean of the runs' barriers; the error combines their spread (over sqrt(n)) with
    each run's own error (in quadrature, over n). NaN when no run gave one."""
    table = pd.DataFrame(list(rows), columns=["barrier_eV", "barrier_err_eV"])
    table = table.apply(pd.to_numeric, errors="coerce")  # a table's empty cells: none
    pairs = [(v, e) for v, e in table.itertuples(index=False) if math.isfinite(v)]
    if not pairs:
        return math.nan, math.nan
    values = np.array([v for v, _ in pairs])
    own = np.array([e if math.isfinite(e) else 0.0 for _, e in pairs])
    spread = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return float(values.mean()), float(math.hypot(spread, math.sqrt((own**2).sum()) / len(own)))


def before_failure(frames: Sequence[Atoms], failed_at_ps: float) -> list[Atoms]:
    """The frames of a run up to its failure, the first failing frame included (a
    broken state the model made is what it must learn to avoid); all of them when it
    did not fail (``failed_at_ps`` NaN). Frames carry ``time_ps``."""
    if math.isnan(failed_at_ps):
        return list(frames)
    return [f for f in frames if f.info["time_ps"] <= failed_at_ps + 1e-9]


def run_seed(block: Mapping, iteration: int, run: int) -> int:
    """Velocity seed of an exploration run: a positive integer, distinct per
    (seed, iteration, run) for up to 1000 runs and 1000 iterations."""
    return 1 + run + 1000 * iteration + 1_000_000 * (block["seed"] % 1000)


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


def job_settings(
    loop: Mapping,
    iteration: int,
    part: str,
    meltquench: Mapping | None = None,
    run: int | None = None,
    biases: Mapping | None = None,
) -> dict:
    """What one job of iteration k needs from the loop's config block, resolved.

    Each job gets only what changes its result (T_k rather than the schedule), so that
    extending the schedule or ``max_iterations`` reruns nothing already done.
    ``part`` is ``explore``, ``select`` or ``train``; an exploration by melt-quench
    gets the ``meltquench`` config block (protocol and watch) instead of the MD keys; a
    biased exploration run (:func:`is_biased`) gets its bias's block from ``biases``
    (``enhanced_sampling.biases``) with the loop's steps and sampling.
    """
    settings: dict = {"start": loop["start"], "seed": loop["seed"]}
    settings["temperature_K"] = temperature_at(loop, iteration) if iteration else None
    if iteration == 0:
        settings["perturb"] = dict(loop["perturb"])
    if part == "explore" and run is not None and is_biased(loop, iteration, run):
        settings.update(biased_settings(loop, biases))
    elif part == "explore" and explores_meltquench(loop, iteration):
        if meltquench is None:
            raise ValueError("a melt-quench exploration needs the meltquench block")
        settings["meltquench"] = dict(meltquench)
        settings["temperature_K"] = float(meltquench["max_temperature_K"])
    elif part == "explore" and iteration:
        keys = (
            "steps",
            "timestep_fs",
            "sample_every",
            "ensemble",
            "pressure_GPa",
            "cell",
            "displacement_A",
            "max_temperature_factor",
        )
        settings.update({key: loop[key] for key in keys})
    elif part == "select":
        settings["cbad"] = dict(loop["cbad"])
        settings["selector"] = loop["selector"]
        if loop["selector"] == "committee":
            settings["trust"] = dict(loop["trust"])
        settings["cap"] = (
            loop["perturb"]["max_frames"] if iteration == 0 else (loop["max_frames_per_run"])
        )
        if biased_runs(loop, iteration):  # the biased runs' own cap after the plain ones'
            meta = loop["metadynamics"]
            biased_cap = meta.get("max_frames_per_run") or settings["cap"]
            settings["caps"] = [settings["cap"]] * plain_runs(loop, iteration) + [
                biased_cap
            ] * biased_runs(loop, iteration)
    elif part == "train":
        settings["cbad"] = dict(loop["cbad"])
        settings["stop"] = dict(loop["stop"])
        settings["top_temperature_K"] = float(max(loop["temperatures_K"]))
        settings["last"] = iteration >= loop["max_iterations"]
        settings["meltquench_from"] = (loop.get("meltquench") or {}).get("from_iteration")
    return settings


def biased_settings(loop: Mapping, biases: Mapping | None) -> dict:
    """The settings of a biased exploration run: the named bias's config block (its
    ``metad`` keys overridden by the loop's ``metadynamics.metad``: the loop may drive
    one CV with stronger hills than the FES run), its temperature, the loop's start
    displacement and runaway factor, and the loop's ``metadynamics`` steps and sampling
    (a frame and a thermo row every ``sample_every`` steps)."""
    meta = loop["metadynamics"]
    if not biases or meta["bias"] not in biases:
        raise ValueError(f"the loop explores under bias {meta['bias']!r}, not given")
    block = dict(biases[meta["bias"]])
    block["metad"] = {**block["metad"], **(meta.get("metad") or {})}  # the loop's own hills
    # the temperature is read where a frame is written: a runaway cuts the frames there
    block.update(steps=meta["steps"], dump_every=meta["sample_every"])
    block["thermo_every"] = meta["sample_every"]
    return {
        "bias": meta["bias"],
        "metadynamics": block,
        "temperature_K": float(block["temperature_K"]),
        "displacement_A": loop["displacement_A"],
        "max_temperature_factor": loop["max_temperature_factor"],
    }


def stop_decision(history: Sequence[Mapping], settings: Mapping) -> tuple[bool, str]:
    """The stop rule, after the last iteration in ``history`` (records, iteration 0 first).

    Stop when that iteration's MD frames brought at most ``stop.max_new_bins`` new CBAD
    bins at the schedule's top temperature (or any, without ``stop.at_top_temperature``)
    and the error on fresh frames (force RMSE of the previous model on the frames it
    had not seen) was under ``stop.fresh_forces_rmse_meV_per_A`` in each of the last
    ``stop.patience`` iterations that labelled fresh frames; or when it is the last
    iteration (``settings['last']``). ``settings`` come from :func:`job_settings`.
    Returns (stop, reason).
    """
    rule = settings["stop"]
    last = history[-1]
    k = int(last["iteration"])
    if settings["last"]:
        return True, f"iteration {k} is the last (max_iterations)"
    if k == 0:
        return False, ""
    survived = rule.get("meltquench_survived")
    start = settings.get("meltquench_from")
    if survived and start is not None:
        recent = [r for r in history if int(r["iteration"]) >= max(1, start)][-survived:]
        if len(recent) == survived and all(
            int(r["md_runs"]) > 0 and int(r["md_runs_failed"]) == 0 for r in recent
        ):
            return True, (
                f"the model survived its own melt-quench: every run ok in the last "
                f"{survived} melt-quench iteration(s)"
            )
    if rule["at_top_temperature"] and float(last["temperature_K"]) < settings["top_temperature_K"]:
        return False, ""
    if int(last["new_bins_explored"]) > rule["max_new_bins"]:
        return False, ""
    fresh = [
        float(r["fresh_forces_rmse_meV_per_A"])
        for r in history
        if int(r["iteration"]) > 0 and int(r["frames_labelled"]) > 0
    ][-rule["patience"] :]
    bound = rule["fresh_forces_rmse_meV_per_A"]
    if len(fresh) < rule["patience"] or any(not e <= bound for e in fresh):
        return False, ""
    said = ""
    if rule.get("barrier"):  # a biased loop: its barrier must have stopped moving too
        settled, said = barrier_settled(history, **rule["barrier"])
        if not settled:
            return False, ""
        said = f"; {said}"
    return True, (
        f"converged at {float(last['temperature_K']):g} K: {int(last['new_bins_explored'])} new "
        f"CBAD bins (at most {rule['max_new_bins']}) and fresh-frame force RMSE "
        f"{', '.join(f'{e:.0f}' for e in fresh)} meV/Å under {bound:g} in the last "
        f"{rule['patience']} labelling iteration(s){said}"
    )


def barrier_settled(
    history: Sequence[Mapping], patience: int, sigmas: float = 2.0
) -> tuple[bool, str]:
    """Whether the barrier the loop's models give (each record's ``barrier_eV`` and its
    standard error ``barrier_err_eV``, eV; records without one are passed over) has
    stopped moving: each of its last ``patience`` changes from one model to the next is
    within ``sigmas`` standard errors of the difference (the two errors in quadrature).
    Returns (settled, what it says)."""
    series = [
        (int(r["iteration"]), float(r["barrier_eV"]), float(r["barrier_err_eV"]))
        for r in history
        if math.isfinite(float(r.get("barrier_eV", math.nan)))
        and math.isfinite(float(r.get("barrier_err_eV", math.nan)))
    ]
    if len(series) < patience + 1:
        return False, f"{len(series)} barrier(s) so far, {patience + 1} needed"
    recent = series[-(patience + 1) :]
    pairs = list(zip(recent, recent[1:], strict=False))
    for (k0, b0, e0), (k1, b1, e1) in reversed(pairs):  # the latest move first
        bound = sigmas * math.hypot(e0, e1)
        if not abs(b1 - b0) <= bound:
            return False, (
                f"the barrier moved {b1 - b0:+.3f} eV from iteration {k0} to {k1} "
                f"(more than {bound:.3f})"
            )
    _, barrier, error = recent[-1]
    return True, (
        f"the barrier settled at {barrier:.3f} ± {error:.3f} eV (each of its last {patience} "
        f"changes within {sigmas:g} standard errors)"
    )


def config_errors(config: dict) -> Iterator[str]:
    """Active-learning models whose start, labels, MD or bias the config cannot provide."""
    for name, block in config.get("models", {}).items():
        if block.get("active_learning") is not None:
            yield from _loop_errors(config, name, block)


def _loop_errors(config: dict, name: str, block: dict) -> Iterator[str]:
    """An active-learning model whose start, labels or MD the config cannot provide."""
    loop, key = block["active_learning"], f"models.{name}.active_learning"
    datasets, levels = config.get("datasets", {}), config.get("levels_of_theory", {})
    if loop["start"] == "dataset" and "dataset" not in block:
        yield f"{key}.start: dataset needs models.{name}.dataset (or use start: perturb)"
    level = loop["level_of_theory"]
    start_level = datasets.get(block.get("dataset"), {}).get("level_of_theory")
    if level is None and start_level is None:
        yield f"{key}.level_of_theory: needed to label the loop's frames (no start dataset)"
    if level is not None and level not in levels:
        yield f"{key}.level_of_theory: {level!r} is not defined under levels_of_theory"
    if level is not None and start_level is not None and level != start_level:
        yield (
            f"{key}.level_of_theory: {level!r} differs from the start dataset's "
            f"{start_level!r}, and one training set never mixes levels of theory"
        )
    structure = loop["structure"]
    if structure is not None and structure not in config.get("structures", {}):
        yield f"{key}.structure: no structure {structure!r}"
    yield from _biased_loop_errors(config, name, block)
    if loop["start"] == "perturb":
        p = loop["perturb"]
        if p["test"] + p["validation"] >= p["max_frames"]:
            yield f"{key}.perturb: test + validation must leave training frames of max_frames"
        if block["type"] != "snap" and p["validation"] == 0:
            yield f"{key}.perturb.validation: {block['type']} training needs validation frames"


def _biased_loop_errors(config: dict, name: str, block: dict) -> Iterator[str]:
    """A loop that explores under a bias: the bias must be defined, on the loop's own
    structure, and the model must run metadynamics (in LAMMPS: a SNAP, or a family
    model through its LAMMPS pair style)."""
    from . import families  # a family's engine; families import nothing of the loop

    loop, key = block["active_learning"], f"models.{name}.active_learning.metadynamics"
    meta = loop.get("metadynamics") or {}
    if meta.get("from_iteration") is None:
        if loop["stop"].get("barrier"):
            yield (
                f"models.{name}.active_learning.stop.barrier: the barrier comes from biased "
                f"runs, and the loop has none ({key}.from_iteration)"
            )
        return
    biases = config.get("enhanced_sampling", {}).get("biases", {})
    if meta.get("bias") not in biases:
        yield (
            f"{key}.bias: no bias {meta.get('bias')!r} under enhanced_sampling.biases "
            f"(defined: {', '.join(biases) or 'none'})"
        )
        return
    bias = dict(biases[meta["bias"]])
    bias["metad"] = {**bias["metad"], **(meta.get("metad") or {})}
    yield from enhanced.bias_errors(config, f"{key} (bias {meta['bias']!r} with its metad)", bias)
    first = next(iter(config.get("structures", {})), None)  # null: the first structure
    on, explored = biases[meta["bias"]].get("structure") or first, loop["structure"] or first
    if on != explored:
        yield f"{key}.bias: {meta['bias']!r} is on {on!r}, the loop explores {explored!r}"
    if block["type"] != "snap" and families.engine_for(block) == "ase":
        yield f"{key}: metadynamics runs in LAMMPS, and a {block['type']} model runs in ASE here"
    if meta["sample_every"] > meta["steps"]:
        yield f"{key}.sample_every: {meta['sample_every']} is more than the run's steps"
