"""Stage 7, active learning: the jobs of the loop (science in
:mod:`mofglass.active_learning`).

Files of a loop, under ``results/active_learning/<model>/iter<k>/``:

``explore/run<r>.extxyz``, ``.csv``  the frames of one MD run (or the perturbations of
                                     iteration 0) and its verdict and cost
``requests.extxyz``, ``selection.csv``, ``coverage.json``  CBAD against the labelled set
``labels/<batch>.extxyz``, ...       CP2K single points behind the quality gate
``dataset/``                         every labelled frame so far: splits and lineage
``model/``                           model k (empty when iteration k trained none)
``state.json``                       the loop's state after k: active or stopped, which
                                     model is current, and every iteration's record

Every job of an iteration reads the previous ``state.json`` first: once the loop has
stopped, it writes empty outputs and does nothing else.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from ase import Atoms

from .. import active_learning as al
from .. import chemistry, enhanced, plots
from ..atomicio import read_frames, read_table, write_frames, write_table, write_text
from ..cbad import Resolution
from ..evaluation import force_deviation, metrics, pairs
from ..labels import QualityGate, quarantine_outliers
from ..md import RunSpec
from ..models import MODEL_FILE, load_model
from ..pool import frame_id
from ..train import Training, committee_members, train_model

log = logging.getLogger(__name__)

SPLIT_FILES = ("train", "validation", "test")


def read_state(path: str | None) -> dict | None:
    return None if path is None else json.loads(Path(path).read_text())


def _stopped(state: Mapping | None, what: str) -> bool:
    if al.is_stopped(state):
        log.info(
            "%s: nothing to do, the loop stopped after iteration %d (%s)",
            what,
            state["stopped_at"],
            state["stop_reason"],
        )
        return True
    return False


def _run_row(iteration: int, run: int, bias: str) -> dict:
    """An exploration run's summary row before it runs (units in the names)."""
    nan = float("nan")
    row = {"iteration": iteration, "run": run, "temperature_K": nan, "frames": 0}
    row.update(verdict="skipped", reason="", failed_at_ps=nan, wall_s=0.0, core_s=0.0)
    row.update(bias=bias, barrier_eV=nan, barrier_err_eV=nan, simulated_ps=nan)
    return row


def explore_job(
    name: str,
    settings: Mapping,
    iteration: int,
    run: int,
    structure_file: str,
    state_file: str | None,
    md: Mapping,
    workdir: str,
    outputs: Mapping[str, str],
    chemistry_file: str | None = None,
) -> list[Atoms]:
    """One exploration job: MD with the current model at T_k from a displaced start
    (iteration k >= 1), or the random perturbations of iteration 0, under the watch of
    the structure's chemistry (``chemistry_file``); or, for a biased run (its settings
    hold ``metadynamics``), metadynamics under the loop's bias, whose hills give the
    model's barrier. Writes the ``frames`` (extxyz, without the model's energies) and
    a one-row ``summary`` (CSV; a biased run's barrier in eV)."""
    state = read_state(state_file)
    row = _run_row(iteration, run, settings.get("bias", ""))
    if _stopped(state, f"{name} iteration {iteration} run {run}"):
        row["reason"] = f"loop stopped after iteration {state['stopped_at']}"
        write_frames(outputs["frames"], [])
        write_table(outputs["summary"], pd.DataFrame([row]))
        return []
    (crystal,) = read_frames(structure_file)
    tag = f"iter{iteration:03d}/run{run:03d}"
    start = time.perf_counter()
    if iteration == 0:
        p = settings["perturb"]
        frames = al.perturbations(
            crystal, p["frames"], p["position_sigma_A"], p["cell_strain"], settings["seed"]
        )
        for step, frame in enumerate(frames):
            frame.info.update(step=step, time_fs=0.0)
        row.update(verdict="ok", reason="random perturbations of the structure")
    elif "metadynamics" in settings:
        model = load_model(Path(state["model_dir"]) / MODEL_FILE)
        found = chemistry.read(chemistry_file)
        bias = enhanced.bias_for(crystal, settings["metadynamics"], found)
        seed = al.run_seed(settings, iteration, run)
        watch = RunSpec.read(md, found=found).watch
        frames, biased = al.explore_biased(model, crystal, bias, settings, seed, workdir, watch)
        row.update(temperature_K=settings["temperature_K"], **biased)
    else:
        model = load_model(Path(state["model_dir"]) / MODEL_FILE)
        seed = al.run_seed(settings, iteration, run)
        spec = RunSpec.read(md, chemistry_file)
        frames, result = al.explore(model, crystal, settings, seed, spec, workdir)
        row.update(temperature_K=settings["temperature_K"], verdict=result.verdict)
        row.update(reason=result.reason, failed_at_ps=result.failed_at_ps)
    _tag(frames, crystal, f"{name}/{tag}", iteration, row["temperature_K"])
    seconds = time.perf_counter() - start
    row.update(frames=len(frames), wall_s=seconds, core_s=seconds)
    write_frames(outputs["frames"], frames)
    write_table(outputs["summary"], pd.DataFrame([row]))
    outcome = f"{row['verdict']} {row['reason']} ({seconds:.1f} s)"
    log.info("%s %s: %d frames, %s", name, tag, len(frames), outcome)
    return frames


def _tag(frames: list[Atoms], crystal: Atoms, run: str, iteration: int, temperature_K) -> None:
    """Provenance of explored frames (their run, iteration, T, frame id, the crystal's
    atom types), without what a label will replace."""
    chemistry.inherit_types(frames, crystal)
    for frame in frames:
        frame.info.update(
            source="active_learning",
            structure=crystal.info.get("structure", ""),
            run=run,
            iteration=iteration,
            temperature_K=temperature_K,
            frame_id=frame_id(run, frame.info["step"]),
        )
        for key in ("level_of_theory", "scf_converged", "model", "replica", "timestep"):
            frame.info.pop(key, None)


def _labelled_frames(dataset_files: Mapping[str, str] | None) -> list[Atoms]:
    if not dataset_files:
        return []
    return [a for split in SPLIT_FILES for a in read_frames(dataset_files[split])]


def select_job(
    name: str,
    settings: Mapping,
    iteration: int,
    structure_file: str,
    state_file: str | None,
    dataset_files: Mapping[str, str] | None,
    explore_files: Sequence[str],
    outputs: Mapping[str, str],
    chemistry_file: str | None = None,
) -> list[Atoms]:
    """CBAD against everything labelled so far: at most ``max_frames_per_run`` frames
    per run (``perturb.max_frames`` at iteration 0), the most novel first.

    Writes the frames to label (``requests``, extxyz), one row per explored frame
    (``selection``, CSV: selected or not, new bins) and the ``coverage`` counts (JSON)."""
    state = read_state(state_file)
    columns = al.SELECTION_COLUMNS
    start = time.perf_counter()
    summary = {"iteration": iteration} | dict.fromkeys(COVERAGE_COUNTS, 0)
    if _stopped(state, f"{name} iteration {iteration} selection"):
        write_frames(outputs["requests"], [])
        write_table(outputs["selection"], pd.DataFrame(columns=columns))
        write_text(outputs["coverage"], json.dumps({**summary, "core_s": 0.0}, indent=2) + "\n")
        return []
    keys = _keys(settings, structure_file, chemistry_file)
    for atoms in _labelled_frames(dataset_files):
        keys.coverage.seed(keys(atoms))
    summary["bins_labelled_before"] = len(keys.coverage.seen)
    runs = [read_frames(path) for path in explore_files]
    run_keys = [[keys(a) for a in frames] for frames in runs]
    summary["frames_explored"] = sum(len(f) for f in runs)
    summary["new_bins_explored"] = al.new_bins(keys.coverage, [k for r in run_keys for k in r])
    cap = settings["cap"]
    picks, sigmas = _select(settings, iteration, state, keys, runs, run_keys, summary)
    rows, requests = [], []
    for path, frames, chosen, sigma in zip(explore_files, runs, picks, sigmas, strict=True):
        rows += al.selection_rows(keys.coverage, iteration, path, frames, dict(chosen), sigma)
        requests += [frames[position] for position, _ in sorted(chosen)]
    summary["frames_selected"] = len(requests)
    summary["frames_selected_biased"] = sum(1 for a in requests if a.info.get("bias"))
    summary["core_s"] = time.perf_counter() - start
    write_frames(outputs["requests"], requests)
    write_table(outputs["selection"], pd.DataFrame(rows, columns=columns))
    write_text(outputs["coverage"], json.dumps(summary, indent=2) + "\n")
    log.info(
        "%s iteration %d: %d frames explored, %d new bins, %d selected (at most %d per run)",
        name,
        iteration,
        summary["frames_explored"],
        summary["new_bins_explored"],
        len(requests),
        cap,
    )
    return requests


#: Counts of an iteration's coverage summary (JSON), beside ``iteration`` and ``core_s``.
COVERAGE_COUNTS = (
    "frames_explored",
    "new_bins_explored",
    "bins_labelled_before",
    "frames_selected",
    "frames_selected_biased",
)


def _select(
    settings: Mapping,
    iteration: int,
    state: Mapping | None,
    keys: al.Keys,
    runs: list[list[Atoms]],
    run_keys: list,
    summary: dict,
) -> tuple[list, list[np.ndarray]]:
    """The picks per run, by CBAD or (``selector: committee``, from iteration 1) by
    model k-1's committee in its trust window, and each frame's σ_F (NaN with CBAD)."""
    sigmas = None
    if settings.get("selector") == "committee" and iteration:
        sigmas = _committee_sigmas(Path(state["model_dir"]) / MODEL_FILE, runs)
    picks, beyond = al.pick(settings, keys.coverage, run_keys, sigmas)
    if sigmas is None:
        sigmas = [np.full(len(frames), np.nan) for frames in runs]
    else:
        summary["frames_beyond_trust"] = beyond
    return al.with_failures(keys.coverage, runs, run_keys, picks), sigmas


def _committee_sigmas(model_file: Path, runs: list[list[Atoms]]) -> list[np.ndarray]:
    """σ_F (largest over atoms, eV/Å) of the model's committee on every explored frame."""
    members = [load_model(m) for m in committee_members(model_file)]
    if not members:
        raise ValueError(f"{model_file.parent}: selection by committee, but no committee")
    out = []
    for frames in runs:
        predicted = [m.predict(frames) for m in members]
        out.append(
            np.array([force_deviation([p[k] for p in predicted])[0] for k in range(len(frames))])
        )
    return out


def _errors(model_file: str, frames: Sequence[Atoms], name: str, split: str) -> dict:
    """Error row of a model on the frames it can evaluate (NaN where there are none):
    a model by atom type cannot read a frame whose bonding made a type it never saw."""
    model = load_model(model_file)
    known = [f for f in frames if model.knows(f)]
    if len(known) < len(frames):
        log.warning("%s: %d %s frame(s) with atom types new to %s left out of its errors",
                    name, len(frames) - len(known), split, model.name)  # fmt: skip
    if not known:
        return metrics(name, split, pairs([], []))
    return metrics(name, split, pairs(known, model.predict(known)))


def _keys(block: Mapping, structure_file: str, chemistry_file: str | None) -> al.Keys:
    """CBAD keys on the crystal's bond graph, metal bonds as its chemistry reads them."""
    (crystal,) = read_frames(structure_file)
    cutoffs = chemistry.metal_cutoffs([chemistry_file] if chemistry_file else [])
    return al.Keys(crystal, *Resolution.from_config(block["cbad"]), cutoffs)


def _cost(paths: Sequence[str], column: str = "core_s") -> float:
    return float(sum(read_table(p)[column].sum() for p in paths if Path(p).stat().st_size))


def _write_state(path: str, state: Mapping) -> None:
    write_text(path, json.dumps(state, indent=2, default=float) + "\n")


@dataclass(frozen=True)
class Loop:
    """What closing any iteration of a loop is given: the model's name and config block
    (without ``active_learning``), its ``train`` settings
    (:func:`mofglass.active_learning.job_settings`), the level of its labels, the
    crystal and its chemistry file, and the quality gate of the labels."""

    name: str
    model_block: Mapping
    settings: Mapping
    level: str
    structure_file: str
    chemistry_file: str | None = None
    quality_gate: Mapping | None = None


@dataclass(frozen=True)
class Harvest:
    """What iteration k made, as files: its fresh labels and quarantined frames, its
    selection table and coverage counts, and each exploration run's and label batch's
    cost rows."""

    fresh_files: Sequence[str] = ()
    quarantine_files: Sequence[str] = ()
    selection_file: str | None = None
    coverage_file: str | None = None
    explore_summaries: Sequence[str] = ()
    label_costs: Sequence[str] = ()


def train_job(
    loop: Loop,
    iteration: int,
    state_file: str | None,
    previous: Mapping[str, str],
    harvest: Harvest,
    outputs: Mapping[str, str],
) -> dict:
    """Close iteration k: grow the labelled set with the fresh labels, score model k-1
    on them before they join, train model k, score it on the fixed test set, apply the
    stop rule and write the state; returns the iteration's record.

    ``previous`` holds the split files, quarantine and lineage of the labelled set so far
    (the start dataset at iteration 0 with start ``dataset``); ``outputs`` the dataset
    files (train, validation, test, quarantine, lineage), ``state`` and ``model`` (a
    directory).
    """
    state = read_state(state_file)
    Path(outputs["model"]).mkdir(parents=True, exist_ok=True)
    if _stopped(state, f"{loop.name} iteration {iteration} training"):
        for key in (*SPLIT_FILES, "quarantine", "lineage"):  # the set carried over
            shutil.copyfile(previous[key], outputs[key])
        why = f"the loop stopped after iteration {state['stopped_at']}: {state['stop_reason']}"
        write_text(Path(outputs["model"]) / "NOT_TRAINED", why + "\n")
        new_state, record = al.after_stop(state, iteration)
        _write_state(outputs["state"], new_state)
        return record
    start = time.perf_counter()
    so_far = _so_far(previous)
    fresh, quarantined = _fresh(loop, harvest, so_far)
    record = _new_record(loop, iteration, harvest, (len(fresh), len(quarantined)))
    if iteration and fresh:  # the honest error: model k-1 on frames it never saw
        fresh_err = _errors(Path(state["model_dir"]) / MODEL_FILE, fresh, loop.name, "fresh")
        record["fresh_energy_rmse_meV_per_atom"] = fresh_err["energy_rmse_meV_per_atom"]
        record["fresh_forces_rmse_meV_per_A"] = fresh_err["forces_rmse_meV_per_A"]
    if iteration == 0 and so_far is not None:  # the start dataset is iteration 0's labels
        record["frames_labelled"] = len(so_far.frames)
    selection = read_table(harvest.selection_file) if harvest.selection_file else None
    grown = al.grow(
        so_far, fresh, quarantined, selection, loop.name, loop.level, loop.settings, iteration
    )
    _write_set(outputs, grown)
    record["train_frames"] = len(grown.splits["train"])
    keys = _keys(loop.settings, loop.structure_file, loop.chemistry_file)
    for atoms in grown.frames:
        keys.coverage.seed(keys(atoms))
    record["bins_covered"] = len(keys.coverage.seen)
    current = _train_or_keep(loop, iteration, outputs, state, bool(fresh))
    record["status"] = "trained" if current[1] == iteration else "no fresh frames"
    test = _errors(Path(current[0]) / MODEL_FILE, grown.splits["test"], loop.name, "test")
    for quantity in ("energy_rmse_meV_per_atom", "forces_rmse_meV_per_A"):
        record[f"test_{quantity}"] = test[quantity]
    record["train_core_s"] = time.perf_counter() - start
    new_state = al.closed(loop.name, iteration, loop.settings, state, current, record)
    _write_state(outputs["state"], new_state)
    _log_record(loop.name, record)
    return record


def _so_far(previous: Mapping[str, str]) -> al.LabelledSet | None:
    """The labelled set so far, read from its files (none before iteration 0)."""
    if "lineage" not in previous:
        return None
    splits = {s: read_frames(previous[s]) for s in SPLIT_FILES if s in previous}
    quarantine = read_frames(previous["quarantine"]) if "quarantine" in previous else []
    return al.LabelledSet(splits, read_table(previous["lineage"]), quarantine)


def _fresh(
    loop: Loop, harvest: Harvest, so_far: al.LabelledSet | None
) -> tuple[list[Atoms], list[Atoms]]:
    """The iteration's labels behind the quality gate, against everything labelled so
    far: the fresh frames (tagged with the loop's name) and the quarantined ones."""
    fresh = [a for p in harvest.fresh_files for a in read_frames(p)]
    quarantined = [a for p in harvest.quarantine_files for a in read_frames(p)]
    gate = QualityGate(**(loop.quality_gate or {}))
    fresh, outliers = quarantine_outliers(fresh, gate, so_far.frames if so_far else [])
    for frame in fresh:
        frame.info["dataset"] = loop.name
    return fresh, quarantined + outliers


def _new_record(loop: Loop, iteration: int, harvest: Harvest, counts: tuple[int, int]) -> dict:
    """The iteration's record before training, from its files."""
    summaries = [read_table(p) for p in harvest.explore_summaries]
    explored = pd.concat(summaries) if summaries else pd.DataFrame()
    coverage = json.loads(Path(harvest.coverage_file).read_text()) if harvest.coverage_file else {}
    md_core_s = _cost(harvest.explore_summaries) if iteration else 0.0
    costs = (md_core_s, _cost(harvest.label_costs))
    return al.new_record(iteration, loop.settings, coverage, explored, counts, costs)


def _write_set(outputs: Mapping[str, str], grown: al.LabelledSet) -> None:
    for split, frames in grown.splits.items():
        for frame in frames:
            frame.info["split"] = split
        write_frames(outputs[split], frames)
    write_frames(outputs["quarantine"], grown.quarantine)
    write_table(outputs["lineage"], grown.lineage)


def _train_or_keep(
    loop: Loop, iteration: int, outputs: Mapping[str, str], state: Mapping | None, fresh: bool
) -> tuple[str, int]:
    """Train model k (at iteration 0, or on fresh frames), or keep model k-1; returns
    the current model's directory and iteration."""
    model_dir = Path(outputs["model"])
    if iteration == 0 or fresh:
        block = {**loop.model_block, "dataset": f"active_learning/{loop.name}/iter{iteration:03d}"}
        split_files = {s: outputs[s] for s in SPLIT_FILES}
        model_file = str(model_dir / MODEL_FILE)
        train_model(
            Training(loop.name, block, split_files, outputs["lineage"], model_file, loop.level)
        )
        return str(model_dir), iteration
    write_text(
        model_dir / "NOT_TRAINED",
        f"no fresh frames: the model of iteration {state['model_iteration']} stays current\n",
    )
    return state["model_dir"], state["model_iteration"]


def _log_record(name: str, record: Mapping) -> None:
    log.info(
        "%s iteration %d: %d labelled (%d quarantined), %d training frames, fresh force "
        "RMSE %.0f meV/Å, test %.0f meV/Å; %s",
        name,
        record["iteration"],
        record["frames_labelled"],
        record["frames_quarantined"],
        record["train_frames"],
        record["fresh_forces_rmse_meV_per_A"],
        record["test_forces_rmse_meV_per_A"],
        f"stop: {record['stop_reason']}" if record["stop"] else "go on",
    )


def final_job(
    name: str,
    state_file: str,
    dataset: Mapping[str, str],
    model_out: Mapping[str, str],
    dataset_out: Mapping[str, str],
    records_file: str,
    figure_file: str,
) -> pd.DataFrame:
    """The loop's model (the last one trained) as ``results/models/<model>/``, its
    dataset, and the records (CSV) with their figure."""
    state = read_state(state_file)
    source = Path(state["model_dir"])
    target = Path(model_out["model"]).parent
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target, dirs_exist_ok=True)
    for key, path in dataset_out.items():
        shutil.copyfile(dataset[key], path)
    records = pd.DataFrame(state["history"], columns=al.RECORD_COLUMNS)
    write_table(records_file, records)
    plots.active_learning_plot(records, figure_file, name)
    log.info(
        "%s: the model of iteration %d; %s\n%s",
        name,
        state["model_iteration"],
        state["stop_reason"] or "the loop did not stop",
        records.to_string(index=False),
    )
    return records
