"""Stage 13, phases: MD frames of each class with the model, the classifier's training
(80:20), and phase fractions along trajectories.

Units: K, ps, Å; fractions and probabilities are per metal atom (Zn in a ZIF). The
metal, its donor and their cutoff come from the structure's chemistry.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import joblib
import numpy as np
import pandas as pd

from .. import analysis, chemistry, phases, plots
from ..atomicio import read_frames, write_frames, write_table, write_with
from ..md import RunSpec, recipes, run_watched
from ..models import load_model

log = logging.getLogger(__name__)


def class_md_job(
    model_file: str,
    structure_file: str,
    temperature_K: float,
    block: Mapping,
    md: Mapping,
    workdir: str,
    outputs: Mapping[str, str],
    chemistry_file: str | None = None,
) -> int:
    """NVT of a structure at ``temperature_K`` under the stability watch of its
    chemistry; the second half's frames (none if the run failed) and the verdict.
    Returns the frame count."""
    (atoms,) = read_frames(structure_file)[-1:]
    settings = RunSpec.read(md, chemistry_file)
    limit = settings.watch["max_temperature_factor"]
    protocol = recipes.hold(block, temperature_K, settings.damping, limit)
    result, _ = run_watched(load_model(model_file), atoms, protocol, workdir, settings.watch)
    frames = result.frames[len(result.frames) // 2 :] if result.verdict == "ok" else []
    write_frames(outputs["frames"], frames)
    verdict = {
        "temperature_K": temperature_K,
        "verdict": result.verdict,
        "reason": result.reason,
        "frames": len(frames),
    }
    write_table(outputs["verdict"], pd.DataFrame([verdict]))
    log.info("%g K: %s %s, %d frames", temperature_K, result.verdict, result.reason, len(frames))
    return len(frames)


def train_job(
    classes: Mapping[str, Sequence[str]],
    settings: Mapping,
    outputs: Mapping,
    chemistry_file: str | None = None,
) -> dict:
    """Train the classifier on the frames of each class (files of extended-XYZ frames;
    a class without frames is left out and listed) over the metal of the chemistry
    (Zn without one). Writes the model (joblib), the metrics (accuracy overall and per
    class, metal counts in the ``zn`` column), the confusion matrix (CSV and PNG). With
    fewer than two classes nothing is trained and the metrics say why."""
    found = chemistry.read(chemistry_file)
    metal = found.metal if found else "Zn"
    frames = {c: [f for path in files for f in read_frames(path)] for c, files in classes.items()}
    present = {c: f for c, f in frames.items() if f}
    missing = sorted(set(frames) - set(present))
    sf = settings["symmetry_functions"]
    rows = [
        {
            "class": c,
            "frames": len(frames[c]),
            "zn": sum(a.get_chemical_symbols().count(metal) for a in frames[c]),
        }
        for c in frames
    ]
    if len(present) < 2:
        reason = f"classes with frames: {', '.join(present) or 'none'}; two are needed"
        write_table(outputs["metrics"], pd.DataFrame(rows).assign(accuracy=np.nan, note=reason))
        write_table(outputs["confusion"], pd.DataFrame())
        plots.empty_figure(outputs["figure"], f"no classifier: {reason}")
        write_with(outputs["model"], lambda p: joblib.dump(None, p))
        log.warning("no classifier: %s", reason)
        return {"trained": False, "reason": reason}
    features, labels = [], []
    for c, class_frames in present.items():
        x = phases.symmetry_functions(class_frames, sf, metal)
        features.append(x)
        labels += [c] * len(x)
    fit = phases.train(np.vstack(features), labels, settings["network"])
    for row in rows:
        row["accuracy"] = fit["per_class"].get(row["class"], np.nan)
        row["note"] = "no frames: left out" if row["class"] in missing else ""
    rows.append(
        {
            "class": "all",
            "frames": sum(len(f) for f in present.values()),
            "zn": len(labels),
            "accuracy": fit["accuracy"],
            "note": f"{fit['n_train']} {metal} trained, {fit['n_test']} held out",
        }
    )
    write_table(outputs["metrics"], pd.DataFrame(rows))
    write_table(outputs["confusion"], fit["confusion"].reset_index(names="true"))
    plots.confusion_plot(fit["confusion"], fit["accuracy"], outputs["figure"])
    write_with(outputs["model"], lambda p: joblib.dump(fit["model"], p))
    log.info("classifier: accuracy %.3f on %d held-out %s", fit["accuracy"], fit["n_test"], metal)
    return {"trained": True, **fit}


def over_time_job(
    model_file: str,
    trajectory: str,
    thermo: str,
    settings: Mapping,
    chemistry_file: str | None,
    outputs: Mapping[str, str],
) -> pd.DataFrame:
    """Phase fractions of every frame of a trajectory against time, with the thermostat
    temperature and the fraction of 3-coordinated metal atoms (columns time_ps,
    temperature_K, fraction_<phase>, p_<phase>, fraction_cn3); the metal, donor and
    cutoff from the structure's chemistry (read from the first frame without one)."""
    model = joblib.load(model_file)
    frames = read_frames(trajectory)
    if model is None or not frames:
        why = "no classifier" if model is None else "no frames"
        write_table(outputs["table"], pd.DataFrame())
        plots.empty_figure(outputs["figure"], f"{trajectory}: {why}")
        return pd.DataFrame()
    found = chemistry.read(chemistry_file) or chemistry.derive(frames[0])
    table = phases.fractions(model, frames, settings["symmetry_functions"], found.metal)
    table.insert(0, "time_ps", [f.info["time_ps"] for f in frames])
    steps = [f.info["step"] for f in frames]
    thermo_table = pd.read_csv(thermo, sep="\t")
    table.insert(
        1, "temperature_K", np.interp(steps, thermo_table["step"], thermo_table["temperature_K"])
    )
    table["fraction_cn3"] = [
        float(np.mean(analysis.coordination(f, found.cutoff_A, found.metal, found.donor) == 3))
        for f in frames
    ]
    write_table(outputs["table"], table)
    plots.phase_fraction_plot(table, outputs["figure"], trajectory)
    return table
