"""Stage 15, cross-check (:mod:`mofglass.cross_check`): read files, label at a level,
compare, write tables."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from ase import Atoms

from ..atomicio import read_frames, write_frames, write_table
from ..cross_check import glass_judgement, level_errors
from ..frames import plain
from ..labels import Labelling
from ..models import load_model
from ..resources import too_big

log = logging.getLogger(__name__)

LEVEL_COLUMNS = [
    "dataset",
    "reference_level",
    "other_level",
    "n_frames",
    "n_quarantined",
    "energy_offset_eV_per_atom",
    "energy_rmse_meV_per_atom",
    "forces_rmse_meV_per_A",
    "forces_mae_meV_per_A",
    "forces_rms_reference_meV_per_A",
    "stress_rmse_GPa",
]

GLASS_COLUMNS = [
    "model",
    "replica",
    "status",
    "reason",
    "level",
    "energy_above_crystal_meV_per_atom",
    "energy_above_crystal_kJ_per_mol_metal",
    "rms_force_eV_per_A",
    "crystal_rms_force_eV_per_A",
    "student_forces_rmse_meV_per_A",
]


def level_check_job(
    labelling: Labelling, test_file: str, dataset: str, outputs: Mapping[str, str]
) -> dict:
    """Label a dataset's test split at a second level (``labelled``, ``quarantine``);
    its ``errors`` against the first."""
    reference = read_frames(test_file)
    accepted, quarantined = labelling.frames([plain(a, keep_results=False) for a in reference])
    write_frames(outputs["quarantine"], quarantined)
    write_frames(outputs["labelled"], accepted)
    level_name = labelling.level_name
    by_id = {a.info["frame_id"]: a for a in accepted}
    matched = [a for a in reference if a.info["frame_id"] in by_id]
    row = {
        "dataset": dataset,
        "reference_level": reference[0].info.get("level_of_theory", "") if reference else "",
        "other_level": level_name,
        "n_quarantined": len(quarantined),
        **level_errors(matched, [by_id[a.info["frame_id"]] for a in matched]),
    }
    write_table(outputs["errors"], pd.DataFrame([row], columns=LEVEL_COLUMNS))
    log.info("%s: %s against %s: %s", dataset, level_name, row["reference_level"], row)
    return row


def _one(frame, run: str):
    frame = plain(frame, keep_results=False)
    frame.info.update(run=run, step=0, frame_id=f"{run}:0")
    return frame


def _judged(
    requests: Sequence[Atoms],
    replicas: Sequence[int],
    labelled: tuple[list[Atoms], list[Atoms]],
    students: Sequence[Atoms],
) -> list[dict]:
    """A row per glass: judged against the crystal (``requests[0]``) at the teacher's
    level, or why not (its label, or the crystal's, was quarantined). ``labelled``: the
    accepted and quarantined labels; ``students``: the model's predictions of the
    glasses."""
    accepted, quarantined = labelled
    by_id = {a.info["frame_id"]: a for a in accepted}
    crystal = by_id.get(requests[0].info["frame_id"])
    rows = []
    for request, replica, student in zip(requests[1:], replicas, students, strict=True):
        teacher = by_id.get(request.info["frame_id"])
        if crystal is None or teacher is None:
            ids = (request.info["frame_id"], requests[0].info["frame_id"])
            bad = next(q for q in quarantined if q.info["frame_id"] in ids)
            reason = f"{bad.info['run']}: {bad.info['quarantine_reason']}"
            rows.append({"replica": replica, "status": "unphysical", "reason": reason})
            continue
        judgement = glass_judgement(teacher, student, crystal)
        rows.append({"replica": replica, "status": "checked", "reason": "", **judgement})
    return rows


def glass_check_job(
    final_files: Sequence[str],
    crystal_file: str,
    crystal_verdict_file: str,
    model_file: str,
    model: str,
    labelling: Labelling,
    output: str,
    glass_memory_mb: float = 0.0,
    granted_mb: float | None = None,
) -> pd.DataFrame:
    """Judge every glass of a model at the level its labels came from: the final frame
    of each melt-quench replica next to the last frame of the model's 300 K crystal
    check. A replica without a glass, a model without a crystal frame, or glasses whose
    labelling needs more memory (``glass_memory_mb``, MB, expected) than the job has
    (``granted_mb``; default :func:`~mofglass.resources.granted_memory_mb`) get a row
    that says so."""
    crystal_ok = pd.read_csv(crystal_verdict_file, sep="\t")["verdict"].iloc[0] == "ok"
    crystal_frames = read_frames(crystal_file) if crystal_ok else []
    rows, glasses = [], {}
    for replica, path in enumerate(final_files):
        frames = read_frames(path) if Path(path).stat().st_size else []
        if frames:
            glasses[replica] = frames[-1]
        else:
            rows.append(
                {"replica": replica, "status": "no glass", "reason": "the melt-quench failed"}
            )
    if glasses and not crystal_frames:
        for replica in glasses:
            rows.append(
                {
                    "replica": replica,
                    "status": "not checked",
                    "reason": "the model's 300 K crystal MD check failed",
                }
            )
        glasses = {}
    what = f"{labelling.level_name} of a glass"
    reason = too_big(glass_memory_mb, what, granted_mb) if glasses else None
    if reason:
        rows += [{"replica": r, "status": "not checked", "reason": reason} for r in glasses]
        glasses = {}
    if glasses:
        requests = [_one(crystal_frames[-1], f"crystal/{model}")]
        requests += [_one(g, f"glass/{model}/replica{k}") for k, g in glasses.items()]
        labelled = labelling.frames(requests)
        students = load_model(model_file).predict(requests[1:])
        rows += _judged(requests, list(glasses), labelled, students)
    table = pd.DataFrame(
        [{"model": model, "level": labelling.level_name, **r} for r in rows],
        columns=GLASS_COLUMNS,
    )
    table = table.sort_values("replica", kind="stable")
    write_table(output, table)
    return table
