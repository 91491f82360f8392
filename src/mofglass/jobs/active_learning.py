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
from pathlib import Path

import numpy as np
import pandas as pd
from ase import Atoms

from .. import active_learning as al
from .. import chemistry, enhanced, plots
from ..atomicio import read_frames, read_table, write_frames, write_table, write_text
from ..cbad import Resolution
from ..evaluation import force_deviation, metrics, pairs
from ..labels import Labelling, QualityGate, quarantine_outliers
from ..md import with_chemistry
from ..models import MODEL_FILE, load_model
from ..pool import FRAME_COLUMNS, frame_id
from ..train import Training, committee_members, train_model

log = logging.getLogger(__name__)

SPLIT_FILES = ("train", "validation", "test")


def read_state(path: str | None) -> dict | None:
    return None if path is None else json.loads(Path(path).read_text())


def _stopped(state: Mapping | None, what: str) -> bool:
    if state is not None and not state["active"]:
        log.info(
            "%s: nothing to do, the loop stopped after iteration %d (%s)",
            what,
            state["stopped_at"],
            state["stop_reason"],
        )
        return True
    return False


def _watched(settings: Mapping, watch: Mapping, found) -> tuple[Mapping, Mapping]:
    """The settings and watch block with the structure's chemistry in every watch."""
    if "meltquench" in settings:
        block = settings["meltquench"]
        block = {**block, "watch": with_chemistry(block["watch"], found)}
        settings = {**settings, "meltquench": block}
    return settings, with_chemistry(watch, found)


def explore_job(
    name: str,
    settings: Mapping,
    iteration: int,
    run: int,
    structure_file: str,
    state_file: str | None,
    damping: Mapping,
    watch_block: Mapping,
    workdir: str,
    frames_file: str,
    summary_file: str,
    chemistry_file: str | None = None,
) -> list[Atoms]:
    """One exploration job: MD with the current model at T_k from a displaced start
    (iteration k >= 1), or the random perturbations of iteration 0, under the watch of
    the structure's chemistry (``chemistry_file``); or, for a biased run (its settings
    hold ``metadynamics``), metadynamics under the loop's bias, whose hills give the
    model's barrier. Writes the frames (extxyz, without the model's energies) and a
    one-row summary (CSV; a biased run's barrier in eV)."""
    state = read_state(state_file)
    row = {"iteration": iteration, "run": run, "temperature_K": float("nan"), "frames": 0}
    row.update(verdict="skipped", reason="", failed_at_ps=float("nan"), wall_s=0.0, core_s=0.0)
    row.update(bias=settings.get("bias", ""), barrier_eV=float("nan"), barrier_err_eV=float("nan"))
    row["simulated_ps"] = float("nan")
    if _stopped(state, f"{name} iteration {iteration} run {run}"):
        row["reason"] = f"loop stopped after iteration {state['stopped_at']}"
        write_frames(frames_file, [])
        write_table(summary_file, pd.DataFrame([row]))
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
        watch = with_chemistry(watch_block, found)
        frames, biased = al.explore_biased(model, crystal, bias, settings, seed, workdir, watch)
        row.update(temperature_K=settings["temperature_K"], **biased)
    else:
        model = load_model(Path(state["model_dir"]) / MODEL_FILE)
        settings, watch_block = _watched(settings, watch_block, chemistry.read(chemistry_file))
        seed = al.run_seed(settings, iteration, run)
        frames, result = al.explore(model, crystal, settings, seed, damping, watch_block, workdir)
        row.update(temperature_K=settings["temperature_K"], verdict=result.verdict)
        row.update(reason=result.reason, failed_at_ps=result.failed_at_ps)
    _tag(frames, crystal, f"{name}/{tag}", iteration, row["temperature_K"])
    seconds = time.perf_counter() - start
    row.update(frames=len(frames), wall_s=seconds, core_s=seconds)
    write_frames(frames_file, frames)
    write_table(summary_file, pd.DataFrame([row]))
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
    requests_file: str,
    selection_file: str,
    coverage_file: str,
    chemistry_file: str | None = None,
) -> list[Atoms]:
    """CBAD against everything labelled so far: at most ``max_frames_per_run`` frames
    per run (``perturb.max_frames`` at iteration 0), the most novel first.

    Writes the frames to label (extxyz), one row per explored frame (CSV: selected or
    not, new bins) and the coverage counts (JSON)."""
    state = read_state(state_file)
    columns = SELECTION_COLUMNS
    start = time.perf_counter()
    summary = {"iteration": iteration} | dict.fromkeys(COVERAGE_COUNTS, 0)
    if _stopped(state, f"{name} iteration {iteration} selection"):
        write_frames(requests_file, [])
        write_table(selection_file, pd.DataFrame(columns=columns))
        write_text(coverage_file, json.dumps({**summary, "core_s": 0.0}, indent=2) + "\n")
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
        rows += _selection_rows(keys, iteration, path, frames, dict(chosen), sigma)
        requests += [frames[position] for position, _ in sorted(chosen)]
    summary["frames_selected"] = len(requests)
    summary["frames_selected_biased"] = sum(1 for a in requests if a.info.get("bias"))
    summary["core_s"] = time.perf_counter() - start
    write_frames(requests_file, requests)
    write_table(selection_file, pd.DataFrame(rows, columns=columns))
    write_text(coverage_file, json.dumps(summary, indent=2) + "\n")
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


#: Columns of an iteration's selection table (time fs, temperature K).
SELECTION_COLUMNS = [
    "frame_id",
    "iteration",
    *FRAME_COLUMNS,
    "selected",
    "cbad_bins_added",
    "cbad_new_bins",
    "sigma_F_max_eV_per_A",
]


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
    cap = settings.get("caps", settings["cap"])  # per run where biased runs have their own
    if settings.get("selector") == "committee" and iteration:
        sigmas = _committee_sigmas(Path(state["model_dir"]) / MODEL_FILE, runs)
        trust = settings["trust"]
        low, high = trust["low_eV_per_A"], trust["high_eV_per_A"]
        picks, summary["frames_beyond_trust"] = al.pick_by_committee(sigmas, low, high, cap)
    else:
        sigmas = [np.full(len(frames), np.nan) for frames in runs]
        picks = al.pick_per_run(keys.coverage, run_keys, cap)
    return _with_failures(keys, runs, run_keys, picks), sigmas


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


def _with_failures(keys: al.Keys, runs: list[list[Atoms]], run_keys: list, picks: list) -> list:
    """The picks per run, (position, new bins), and where a run failed its last frame:
    that is where the model went wrong, labelled even when the selector saw nothing new
    there (CBAD's bins stop seeing a stretched Zn-N bond once one such frame is in; a
    committee may call it broken)."""
    for frames, frame_keys, chosen in zip(runs, run_keys, picks, strict=True):
        last = len(frames) - 1
        if frames and frames[-1].info.get("failure") and last not in dict(chosen):
            new = [k for k in frame_keys[last].tolist() if k not in keys.coverage.seen]
            keys.coverage.seen.update(new)
            chosen.append((last, new))
    return picks


def _selection_rows(
    keys: al.Keys,
    iteration: int,
    path: str,
    frames: list[Atoms],
    added: Mapping[int, list],
    sigma: np.ndarray,
) -> list[dict]:
    """One row per explored frame of a run: selected or not, the bins it added, and the
    committee's σ_F (NaN when CBAD selects)."""
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
                "cbad_new_bins": keys.coverage.describe(new),
                "sigma_F_max_eV_per_A": float(sigma[position]),
            }
        )
    return rows


def label_job(
    labelling: Labelling, requests_file: str, batch_index: int, outputs: Mapping[str, str]
) -> None:
    """A labelling batch of the iteration's requests behind the quality gate
    (:meth:`mofglass.labels.Labelling.batch`) into ``labelled`` and ``quarantine``, and
    its ``cost`` (CSV: wall seconds and core-seconds)."""
    start = time.perf_counter()
    accepted, quarantined = labelling.batch(requests_file, batch_index)
    write_frames(outputs["quarantine"], quarantined)
    write_frames(outputs["labelled"], accepted)
    seconds = time.perf_counter() - start
    cores = labelling.threads or 1
    write_table(outputs["cost"], pd.DataFrame([{"wall_s": seconds, "core_s": seconds * cores}]))


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


def _train(name: str, block: Mapping, level: str, iteration: int, files: Mapping, model_file: str):
    block = {**block, "dataset": f"active_learning/{name}/iter{iteration:03d}"}
    split_files = {s: files[s] for s in SPLIT_FILES}
    train_model(Training(name, block, split_files, files["lineage"], model_file, level))


def _split_start(frames: list[Atoms], perturb: Mapping, seed: int) -> dict[str, list[Atoms]]:
    """Test and validation frames drawn at random from iteration 0's labels; the rest train."""
    order = np.random.default_rng([seed, 2]).permutation(len(frames))
    n_test, n_val = perturb["test"], perturb["validation"]
    pick = {
        "test": order[:n_test],
        "validation": order[n_test : n_test + n_val],
        "train": order[n_test + n_val :],
    }
    return {s: [frames[i] for i in sorted(pick[s])] for s in SPLIT_FILES}


def _new_lineage(selection: pd.DataFrame, name: str, level: str, labelled, quarantined, split_of):
    """Lineage rows of an iteration's explored frames: selected ones labelled into a split
    or quarantined, the others ``reserve``."""
    lineage = selection.drop(columns=["selected"]).copy()
    status = {a.info["frame_id"]: "labelled" for a in labelled}
    status.update({a.info["frame_id"]: "quarantined" for a in quarantined})
    problem = {a.info["frame_id"]: a.info.get("quarantine_reason", "") for a in quarantined}
    ids = lineage["frame_id"]
    lineage["dataset"] = name
    lineage["selector"] = "active_learning"
    lineage["split"] = [split_of.get(f, "quarantine" if f in problem else "reserve") for f in ids]
    lineage["label_level"] = [level if f in status else "" for f in ids]
    lineage["labels_from"] = ["single_point" if f in status else "" for f in ids]
    lineage["label_status"] = [status.get(f, "") for f in ids]
    lineage["label_problem"] = [problem.get(f, "") for f in ids]
    return lineage


def _keys(block: Mapping, structure_file: str, chemistry_file: str | None) -> al.Keys:
    """CBAD keys on the crystal's bond graph, metal bonds as its chemistry reads them."""
    (crystal,) = read_frames(structure_file)
    cutoffs = chemistry.metal_cutoffs([chemistry_file] if chemistry_file else [])
    return al.Keys(crystal, *Resolution.from_config(block["cbad"]), cutoffs)


def _bins_covered(
    block: Mapping, structure_file: str, chemistry_file: str | None, splits: Mapping
) -> int:
    keys = _keys(block, structure_file, chemistry_file)
    for frames in splits.values():
        for atoms in frames:
            keys.coverage.seed(keys(atoms))
    return len(keys.coverage.seen)


def _cost(paths: Sequence[str], column: str = "core_s") -> float:
    return float(sum(read_table(p)[column].sum() for p in paths if Path(p).stat().st_size))


def _stopped_iteration(
    name: str, iteration: int, state: Mapping, previous: Mapping, outputs: Mapping
) -> dict:
    """An iteration after the loop stopped: the dataset carried over, no model, a record
    that says so."""
    for key in (*SPLIT_FILES, "quarantine", "lineage"):
        shutil.copyfile(previous[key], outputs[key])
    write_text(
        Path(outputs["model"]) / "NOT_TRAINED",
        f"the loop stopped after iteration {state['stopped_at']}: {state['stop_reason']}\n",
    )
    record = dict.fromkeys(al.RECORD_COLUMNS, float("nan"))
    record.update(
        iteration=iteration,
        status="not run (stopped)",
        model_iteration=state["model_iteration"],
        stop=True,
        stop_reason="",
    )
    record.update(dict.fromkeys(al.COUNT_COLUMNS, 0))
    record.update(dict.fromkeys(al.COST_COLUMNS, 0.0))
    history = [*state["history"], record]
    _write_state(outputs["state"], {**state, "iteration": iteration, "history": history})
    return record


def _write_state(path: str, state: Mapping) -> None:
    write_text(path, json.dumps(state, indent=2, default=float) + "\n")


def _new_record(
    iteration: int,
    settings: Mapping,
    coverage: Mapping,
    explore_summaries: Sequence[str],
    label_costs: Sequence[str],
    counts: tuple[int, int],
) -> dict:
    """The iteration's record before training: what it explored, selected and labelled
    (``counts``: fresh and quarantined frames) and the core-seconds of each stage."""
    summaries = [read_table(p) for p in explore_summaries]
    explored = pd.concat(summaries) if summaries else pd.DataFrame()
    # the exploring model's (k-1) barrier, from this iteration's biased runs
    barrier, error = al.barrier_of_runs(explored.to_dict("records") if iteration else [])
    record = dict.fromkeys(al.RECORD_COLUMNS, float("nan"))
    record.update(
        iteration=iteration,
        temperature_K=settings["temperature_K"] or float("nan"),
        md_runs=len(explored) if iteration else 0,
        md_runs_failed=int((explored["verdict"] == "failed").sum()) if iteration else 0,
        frames_explored=coverage.get("frames_explored", 0),
        new_bins_explored=coverage.get("new_bins_explored", 0),
        frames_selected=coverage.get("frames_selected", 0),
        frames_selected_biased=coverage.get("frames_selected_biased", 0),
        barrier_eV=barrier,
        barrier_err_eV=error,
        frames_labelled=counts[0],
        frames_quarantined=counts[1],
        md_core_s=_cost(explore_summaries) if iteration else 0.0,
        select_core_s=coverage.get("core_s", 0.0),
        label_core_s=_cost(label_costs),
        stop=False,
        stop_reason="",
    )
    return record


def _grown(
    name: str,
    level: str,
    iteration: int,
    settings: Mapping,
    state: Mapping | None,
    previous: Mapping[str, str],
    previous_splits: dict[str, list[Atoms]],
    new: tuple[list[Atoms], list[Atoms], pd.DataFrame | None],
    record: dict,
) -> tuple[dict[str, list[Atoms]], pd.DataFrame, list[Atoms]]:
    """The labelled set after iteration k: its splits, lineage and quarantine.
    ``previous_splits``: the labelled set so far (``previous`` names its files); ``new``:
    the fresh labels, the quarantined frames and the iteration's selection table. Model
    k-1's error on the fresh frames goes into ``record`` before they join."""
    fresh, quarantined, selection = new
    if iteration == 0 and settings["start"] == "perturb":
        splits = _split_start(fresh, settings["perturb"], settings["seed"])
        split_of = {a.info["frame_id"]: s for s, fs in splits.items() for a in fs}
        lineage = _new_lineage(selection, name, level, fresh, quarantined, split_of)
        return splits, lineage, quarantined
    lineage = read_table(previous["lineage"])
    quarantine = read_frames(previous["quarantine"])
    if iteration == 0:  # the start dataset: its frames are iteration 0's
        lineage["iteration"] = 0
        record["frames_labelled"] = sum(len(f) for f in previous_splits.values())
        return previous_splits, lineage, quarantine
    if fresh:  # the honest error: model k-1 on frames it never saw
        fresh_err = _errors(Path(state["model_dir"]) / MODEL_FILE, fresh, name, "fresh")
        record["fresh_energy_rmse_meV_per_atom"] = fresh_err["energy_rmse_meV_per_atom"]
        record["fresh_forces_rmse_meV_per_A"] = fresh_err["forces_rmse_meV_per_A"]
    split_of = {a.info["frame_id"]: "train" for a in fresh}
    new_rows = _new_lineage(selection, name, level, fresh, quarantined, split_of)
    lineage = pd.concat([lineage, new_rows], ignore_index=True)
    for column in lineage.select_dtypes(include="object").columns:  # text, one type
        lineage[column] = lineage[column].fillna("").astype(str)
    splits = dict(previous_splits, train=previous_splits["train"] + fresh)
    return splits, lineage, quarantine + quarantined


def train_job(
    name: str,
    model_block: Mapping,
    settings: Mapping,
    level: str,
    iteration: int,
    structure_file: str,
    state_file: str | None,
    previous: Mapping[str, str],
    outputs: Mapping[str, str],
    fresh_files: Sequence[str] = (),
    quarantine_files: Sequence[str] = (),
    selection_file: str | None = None,
    coverage_file: str | None = None,
    explore_summaries: Sequence[str] = (),
    label_costs: Sequence[str] = (),
    chemistry_file: str | None = None,
    quality_gate: Mapping | None = None,
) -> dict:
    """Close iteration k: grow the dataset with the fresh labels, score model k-1 on
    them before they join, train model k, score it on the fixed test set, apply the
    stop rule and write the state.

    ``settings`` come from :func:`mofglass.active_learning.job_settings`; ``model_block``
    is the model's config block without ``active_learning``. ``previous`` holds the
    split files and lineage of the labelled set so far (the start dataset at iteration 0
    with start ``dataset``); ``outputs`` the dataset files (train, validation, test,
    quarantine, lineage), ``state`` and ``model`` (a directory).
    """
    state = read_state(state_file)
    model_dir = Path(outputs["model"])
    model_dir.mkdir(parents=True, exist_ok=True)
    if _stopped(state, f"{name} iteration {iteration} training"):
        return _stopped_iteration(name, iteration, state, previous, outputs)
    start = time.perf_counter()
    fresh = [a for p in fresh_files for a in read_frames(p)]
    quarantined = [a for p in quarantine_files for a in read_frames(p)]
    previous_splits = {s: read_frames(previous[s]) for s in SPLIT_FILES if s in previous}
    labelled_so_far = [a for frames in previous_splits.values() for a in frames]
    gate = QualityGate(**(quality_gate or {}))
    fresh, outliers = quarantine_outliers(fresh, gate, labelled_so_far)
    quarantined += outliers
    coverage = json.loads(Path(coverage_file).read_text()) if coverage_file else {}
    counts = (len(fresh), len(quarantined))
    record = _new_record(iteration, settings, coverage, explore_summaries, label_costs, counts)
    for frame in fresh:
        frame.info["dataset"] = name
    new = (fresh, quarantined, read_table(selection_file) if selection_file else None)
    splits, lineage, quarantine = _grown(
        name, level, iteration, settings, state, previous, previous_splits, new, record
    )
    _write_set(outputs, splits, quarantine, lineage)
    record["train_frames"] = len(splits["train"])
    record["bins_covered"] = _bins_covered(settings, structure_file, chemistry_file, splits)
    current = _train_or_keep(name, model_block, level, iteration, outputs, state, bool(fresh))
    record["status"] = "trained" if current[1] == iteration else "no fresh frames"
    test = _errors(Path(current[0]) / MODEL_FILE, splits["test"], name, "test")
    for quantity in ("energy_rmse_meV_per_atom", "forces_rmse_meV_per_A"):
        record[f"test_{quantity}"] = test[quantity]
    record["train_core_s"] = time.perf_counter() - start
    return _close(name, iteration, settings, state, current, record, outputs["state"])


def _write_set(
    outputs: Mapping[str, str],
    splits: Mapping[str, list[Atoms]],
    quarantine: list[Atoms],
    lineage: pd.DataFrame,
) -> None:
    for split, frames in splits.items():
        for frame in frames:
            frame.info["split"] = split
        write_frames(outputs[split], frames)
    write_frames(outputs["quarantine"], quarantine)
    write_table(outputs["lineage"], lineage)


def _train_or_keep(
    name: str,
    model_block: Mapping,
    level: str,
    iteration: int,
    outputs: Mapping[str, str],
    state: Mapping | None,
    fresh: bool,
) -> tuple[str, int]:
    """Train model k (at iteration 0, or on fresh frames), or keep model k-1; returns
    the current model's directory and iteration."""
    model_dir = Path(outputs["model"])
    if iteration == 0 or fresh:
        _train(name, model_block, level, iteration, outputs, str(model_dir / MODEL_FILE))
        return str(model_dir), iteration
    write_text(
        model_dir / "NOT_TRAINED",
        f"no fresh frames: the model of iteration {state['model_iteration']} stays current\n",
    )
    return state["model_dir"], state["model_iteration"]


def _close(
    name: str,
    iteration: int,
    settings: Mapping,
    state: Mapping | None,
    current: tuple[str, int],
    record: dict,
    state_file: str,
) -> dict:
    """Apply the stop rule to the history and write the new state; returns the record."""
    record["model_iteration"] = current[1]
    history = [*(state["history"] if state else []), record]
    stop, reason = al.stop_decision(history, settings)
    record.update(stop=stop, stop_reason=reason)
    new_state = {
        "model": name,
        "iteration": iteration,
        "active": not stop,
        "stopped_at": iteration if stop else None,
        "stop_reason": reason,
        "model_dir": current[0],
        "model_iteration": current[1],
        "history": history,
    }
    _write_state(state_file, new_state)
    log.info(
        "%s iteration %d: %d labelled (%d quarantined), %d training frames, fresh force "
        "RMSE %.0f meV/Å, test %.0f meV/Å; %s",
        name,
        iteration,
        record["frames_labelled"],
        record["frames_quarantined"],
        record["train_frames"],
        record["fresh_forces_rmse_meV_per_A"],
        record["test_forces_rmse_meV_per_A"],
        f"stop: {reason}" if stop else "go on",
    )
    return record


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
