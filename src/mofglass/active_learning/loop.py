"""The loop as data: its records, the growth of its labelled set (splits, lineage,
quarantine), its state from one iteration to the next, and the stop rule.

Units: Å, fs, ps, K, eV; errors as in :mod:`mofglass.evaluation` (meV/atom, meV/Å).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from ase import Atoms

from .explore import barrier_of_runs

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


SPLITS = ("train", "validation", "test")


@dataclass
class LabelledSet:
    """Everything a loop has labelled so far: frames by split (train, validation,
    test), their lineage (one row per explored frame: :mod:`mofglass.pool`'s columns
    and where it went) and the quarantined frames."""

    splits: dict[str, list[Atoms]]
    lineage: pd.DataFrame
    quarantine: list[Atoms]

    @property
    def frames(self) -> list[Atoms]:
        return [a for frames in self.splits.values() for a in frames]


def split_start(frames: Sequence[Atoms], perturb: Mapping, seed: int) -> dict[str, list[Atoms]]:
    """Test and validation frames drawn at random from iteration 0's labels
    (``perturb['test']``, ``perturb['validation']`` of them); the rest train."""
    order = np.random.default_rng([seed, 2]).permutation(len(frames))
    n_test, n_val = perturb["test"], perturb["validation"]
    pick = {
        "test": order[:n_test],
        "validation": order[n_test : n_test + n_val],
        "train": order[n_test + n_val :],
    }
    return {s: [frames[i] for i in sorted(pick[s])] for s in SPLITS}


def new_lineage(
    selection: pd.DataFrame,
    name: str,
    level: str,
    labelled: Sequence[Atoms],
    quarantined: Sequence[Atoms],
    split_of: Mapping[str, str],
) -> pd.DataFrame:
    """Lineage rows of an iteration's explored frames (``selection``: one row per frame,
    by ``frame_id``): selected ones labelled into a split (``split_of``) or quarantined,
    the others ``reserve``."""
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


def grow(
    so_far: LabelledSet | None,
    fresh: list[Atoms],
    quarantined: list[Atoms],
    selection: pd.DataFrame | None,
    name: str,
    level: str,
    settings: Mapping,
    iteration: int,
) -> LabelledSet:
    """The labelled set after iteration k. At iteration 0 from perturbations, the fresh
    labels are split (:func:`split_start`); from a start dataset (``so_far``), that set
    is iteration 0's; afterwards the fresh labels join the training split."""
    if iteration == 0 and settings["start"] == "perturb":
        splits = split_start(fresh, settings["perturb"], settings["seed"])
        split_of = {a.info["frame_id"]: s for s, fs in splits.items() for a in fs}
        lineage = new_lineage(selection, name, level, fresh, quarantined, split_of)
        return LabelledSet(splits, lineage, list(quarantined))
    if iteration == 0:  # the start dataset: its frames are iteration 0's
        return LabelledSet(so_far.splits, so_far.lineage.assign(iteration=0), so_far.quarantine)
    split_of = {a.info["frame_id"]: "train" for a in fresh}
    rows = new_lineage(selection, name, level, fresh, quarantined, split_of)
    lineage = pd.concat([so_far.lineage, rows], ignore_index=True)
    for column in lineage.select_dtypes(include="object").columns:  # text, one type
        lineage[column] = lineage[column].fillna("").astype(str)
    splits = dict(so_far.splits, train=so_far.splits["train"] + fresh)
    return LabelledSet(splits, lineage, so_far.quarantine + quarantined)


def new_record(
    iteration: int,
    settings: Mapping,
    coverage: Mapping,
    explored: pd.DataFrame,
    counts: tuple[int, int],
    costs: tuple[float, float],
) -> dict:
    """Iteration k's record before training: what it explored (``explored``: one row per
    MD run), selected (``coverage``: the selection's counts and core-seconds) and
    labelled (``counts``: fresh and quarantined frames); ``costs``: core-seconds of its
    MD runs and of its labels."""
    # the exploring model's (k-1) barrier, from this iteration's biased runs
    barrier, error = barrier_of_runs(explored.to_dict("records") if iteration else [])
    record = dict.fromkeys(RECORD_COLUMNS, float("nan"))
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
        md_core_s=costs[0] if iteration else 0.0,
        select_core_s=coverage.get("core_s", 0.0),
        label_core_s=costs[1],
        stop=False,
        stop_reason="",
    )
    return record


def is_stopped(state: Mapping | None) -> bool:
    """Whether the loop stopped before this iteration (no state: iteration 0)."""
    return state is not None and not state["active"]


def after_stop(state: Mapping, iteration: int) -> tuple[dict, dict]:
    """The state and record of an iteration after the loop stopped: nothing run, the
    model of the stop stays current."""
    record = dict.fromkeys(RECORD_COLUMNS, float("nan"))
    record.update(
        iteration=iteration,
        status="not run (stopped)",
        model_iteration=state["model_iteration"],
        stop=True,
        stop_reason="",
    )
    record.update(dict.fromkeys(COUNT_COLUMNS, 0))
    record.update(dict.fromkeys(COST_COLUMNS, 0.0))
    history = [*state["history"], record]
    return {**state, "iteration": iteration, "history": history}, record


def closed(
    name: str,
    iteration: int,
    settings: Mapping,
    state: Mapping | None,
    current: tuple[str, int],
    record: dict,
) -> dict:
    """The state after iteration k: ``record`` (its stop and reason set here by the
    stop rule over the whole history) appended; ``current`` the model's directory and
    the iteration that trained it."""
    record["model_iteration"] = current[1]
    history = [*(state["history"] if state else []), record]
    stop, reason = stop_decision(history, settings)
    record.update(stop=stop, stop_reason=reason)
    return {
        "model": name,
        "iteration": iteration,
        "active": not stop,
        "stopped_at": iteration if stop else None,
        "stop_reason": reason,
        "model_dir": current[0],
        "model_iteration": current[1],
        "history": history,
    }
