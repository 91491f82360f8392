"""The active-learning loop through Snakemake with real CP2K labels and real LAMMPS MD.

One run on the tiny fragment (start: perturbations; 300 then 600 K; at most 3
iterations), killed while iteration 1 labels its frames and rerun. The three tests
read that run: the records, the stop, and that the rerun repeated nothing finished.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mofglass.atomicio import read_frames
from mofglass.models import load_model

from .conftest import REPO, copy_project

pytestmark = pytest.mark.cp2k

LOOP = {
    "start": "perturb",
    "level_of_theory": "xtb",
    "perturb": {"frames": 8, "max_frames": 6, "test": 1, "validation": 1},
    "temperatures_K": [300, 600],
    "max_iterations": 3,
    "runs": 2,
    "steps": 40,
    "sample_every": 5,
    "ensemble": "nvt",
    "max_frames_per_run": 1,
    "seed": 3,
    # lenient on purpose: the tiny model is poor; the rule, not the model, is tested
    "stop": {"max_new_bins": 1000, "fresh_forces_rmse_meV_per_A": 1.0e5, "patience": 1},
}


def forces_rmse_meV_per_A(reference, predicted) -> float:
    """RMSE over every force component (meV/Å), written out here, not mofglass's."""
    diff = np.concatenate(
        [
            (p.get_forces() - r.get_forces()).ravel()
            for r, p in zip(reference, predicted, strict=True)
        ]
    )
    return float(1e3 * np.sqrt(np.mean(diff**2)))


def snakemake_cmd(*args):
    return [sys.executable, "-m", "snakemake", "active_learning", "--cores", "2", *args]


def file_stamps(root: Path, skip: Path) -> dict[str, int]:
    """Modification times (ns) of every file under ``root`` except under ``skip``."""
    return {
        str(p.relative_to(root)): p.stat().st_mtime_ns
        for p in root.rglob("*")
        if p.is_file() and skip not in p.parents
    }


@pytest.fixture(scope="module")
def loop_run(tmp_path_factory):
    """Run the loop, kill it once a frame of iteration 1 is labelled, rerun it."""
    project = copy_project(tmp_path_factory.mktemp("al"))
    config = yaml.safe_load((REPO / "config/tiny.yaml").read_text())
    # one label batch per explored iteration (at most runs x (cap + 1) = 4 requests), so
    # the kill catches one batch job between its labels and never two running side by side
    config["labels"]["batch_size"] = 4
    config["models"] = {
        "snap_al": {
            "type": "snap",
            "snap": {
                "twojmax": 2,
                "rcutfac": 4.0,
                "tune": {"cutoff": False, "alpha": True, "max_evaluations": 2},
            },
            "active_learning": LOOP,
        }
    }
    (project / "al.yaml").write_text(yaml.safe_dump(config))
    args = ("--configfile", "al.yaml")
    cp2k = project / "results/active_learning/cp2k/snap_al/iter001"
    labels = project / "results/active_learning/snap_al/iter001/labels/0000.extxyz"
    proc = subprocess.Popen(
        snakemake_cmd(*args),
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    killed_after, deadline = None, time.monotonic() + 600
    while killed_after is None and time.monotonic() < deadline and proc.poll() is None:
        done = sorted(cp2k.glob("run*/step*/outcome.extxyz"))
        if done and not labels.exists():
            os.killpg(proc.pid, signal.SIGKILL)  # Snakemake, the job, CP2K
            killed_after = done[0]
        time.sleep(0.02)
    proc.wait()
    assert killed_after is not None, "never caught iteration 1 between its two labels"
    assert not labels.exists()
    before = file_stamps(project / "results", skip=cp2k)
    outcome_stamp = killed_after.stat().st_mtime_ns

    unlock = subprocess.run(snakemake_cmd(*args, "--unlock"), cwd=project, capture_output=True)
    assert unlock.returncode == 0
    rerun = subprocess.run(
        snakemake_cmd(*args), cwd=project, capture_output=True, text=True, timeout=900
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    return {
        "project": project,
        "loop": project / "results/active_learning/snap_al",
        "before": before,
        "killed_after": killed_after,
        "outcome_stamp": outcome_stamp,
        "rerun": rerun.stderr,
    }


def records_of(loop_run) -> pd.DataFrame:
    return pd.read_csv(loop_run["loop"] / "records.csv", keep_default_na=False, na_values=[""])


def test_two_iterations_with_real_labels_and_md_leave_complete_records(loop_run):
    loop = loop_run["loop"]
    records = records_of(loop_run)
    assert records["iteration"].tolist() == [0, 1, 2, 3]
    assert records["status"].tolist()[:3] == ["trained"] * 3
    lineage = pd.read_csv(loop / "dataset/lineage.csv", keep_default_na=False)
    labelled = lineage[lineage["label_status"] == "labelled"]
    # iteration 0: perturbations, CBAD-selected, labelled, split 4 / 1 / 1
    first = records.iloc[0]
    assert first["frames_explored"] == 8 and 1 <= first["frames_selected"] <= 6
    assert first["frames_labelled"] + first["frames_quarantined"] == first["frames_selected"]
    assert first["train_frames"] == first["frames_labelled"] - 2
    train_frames = first["train_frames"]
    for k in (1, 2):
        row = records.iloc[k]
        assert row["temperature_K"] == [300, 600][k - 1]
        assert row["md_runs"] == 2 and row["frames_explored"] > 0
        assert row["frames_selected"] <= 4  # at most one per run, plus a failing frame
        assert row["frames_labelled"] == int((labelled["iteration"] == k).sum())
        train_frames += row["frames_labelled"]
        assert row["train_frames"] == train_frames
        assert row["md_core_s"] > 0 and row["label_core_s"] > 0 and row["train_core_s"] > 0
        selection = pd.read_csv(loop / f"iter{k:03d}/selection.csv")
        assert selection["selected"].sum() == row["frames_selected"]
        assert selection.groupby("run")["selected"].sum().max() <= 2
        fresh = [
            a
            for batch in sorted((loop / f"iter{k:03d}/labels").glob("[0-9][0-9][0-9][0-9].extxyz"))
            for a in read_frames(batch)
        ]
        assert len(fresh) == row["frames_labelled"]
        if fresh:
            # the fresh-frame error is model k-1's, on frames it never trained on
            before = load_model(loop / f"iter{k - 1:03d}/model/model.json")
            assert row["fresh_forces_rmse_meV_per_A"] == pytest.approx(
                forces_rmse_meV_per_A(fresh, before.predict(fresh)), rel=1e-6
            )
            trained = {
                a.info["frame_id"]
                for a in read_frames(loop / f"iter{k - 1:03d}/dataset/train.extxyz")
            }
            assert not trained & {a.info["frame_id"] for a in fresh}
        # the test error is the current model's on the fixed test set
        test = read_frames(loop / "dataset/test.extxyz")
        model = load_model(loop / f"iter{k:03d}/model/model.json")
        assert row["test_forces_rmse_meV_per_A"] == pytest.approx(
            forces_rmse_meV_per_A(test, model.predict(test)), rel=1e-6
        )
    assert np.all(np.diff(records["bins_covered"].to_numpy()[:3]) >= 0)
    assert set(lineage["iteration"].astype(int)) == {0, 1, 2}
    assert (loop / "records.png").stat().st_size > 10_000


def test_the_stop_rule_stops_and_a_later_iteration_does_no_work(loop_run):
    loop = loop_run["loop"]
    records = records_of(loop_run)
    stops = records[records["stop"].astype(str) == "True"]
    assert stops["iteration"].iloc[0] == 2  # the top temperature, 600 K
    assert stops["stop_reason"].iloc[0].startswith("converged at 600 K")
    assert records.iloc[3]["status"] == "not run (stopped)"
    state = json.loads((loop / "iter003/state.json").read_text())
    assert not state["active"] and state["stopped_at"] == 2 and state["model_iteration"] == 2
    # iteration 3: no MD, no selection, no CP2K, no training
    assert not (loop / "iter003/md").exists()
    assert not (loop_run["project"] / "results/active_learning/cp2k/snap_al/iter003").exists()
    for summary in (loop / "iter003/explore").glob("run*.csv"):
        assert pd.read_csv(summary)["verdict"].iloc[0] == "skipped"
    assert read_frames(loop / "iter003/requests.extxyz") == []
    assert [p.name for p in (loop / "iter003/model").iterdir() if p.name[0] != "."] == [
        "NOT_TRAINED"
    ]
    # the loop's model is the last one trained, usable as any other
    final = loop_run["project"] / "results/models/snap_al"
    for name in ("mofglass.snapcoeff", "mofglass.snapparam", "model.json"):
        assert (final / name).read_bytes() == (loop / f"iter002/model/{name}").read_bytes()
    assert load_model(final / "model.json").species == ("C", "H", "N", "Zn")


def test_a_killed_loop_reruns_no_finished_job(loop_run):
    before = loop_run["before"]
    after = file_stamps(loop_run["project"] / "results", skip=Path("/nonexistent"))
    # every file a finished job wrote before the kill is untouched
    assert before, "nothing had finished before the kill"
    changed = sorted(p for p, stamp in before.items() if after.get(p) != stamp)
    assert changed == []
    assert any("iter001/explore" in p for p in before)  # MD of iteration 1 had finished
    # the CP2K single point finished before the kill was reused, not recomputed
    assert loop_run["killed_after"].stat().st_mtime_ns == loop_run["outcome_stamp"]
    # the rerun ran iteration 1's label batch again, and nothing of iterations 0 and 1 else
    rerun = loop_run["rerun"]
    assert "iteration=000" not in rerun and "iteration=001, run=" not in rerun
    assert "wildcards: model=snap_al, iteration=001, batch=0000" in rerun


def test_a_loop_that_selects_by_committee_labels_its_least_certain_frames(tmp_path):
    """Selection by σ_F (DP-GEN's model deviation) instead of CBAD, end to end: the
    σ_F of every explored frame is the previous model's committee's, recomputed here;
    each run labels its least certain frame inside the trust window."""
    project = copy_project(tmp_path)
    config = yaml.safe_load((REPO / "config/tiny.yaml").read_text())
    loop = {**LOOP, "max_iterations": 1, "selector": "committee", "temperatures_K": [600]}
    # a window that holds any disagreement under 10 eV/Å: the choice is the largest
    trust = {"low_eV_per_A": 1e-6, "high_eV_per_A": 10.0}
    config["models"] = {
        "snap_al": {
            "type": "snap",
            "snap": {"twojmax": 2, "rcutfac": 4.0, "tune": {"alpha": True, "max_evaluations": 2}},
            "committee": {"members": 3, "seed": 1, "trust": trust},
            "active_learning": loop,
        }
    }
    (project / "al.yaml").write_text(yaml.safe_dump(config))
    done = subprocess.run(
        snakemake_cmd("--configfile", "al.yaml"),
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    root = project / "results/active_learning/snap_al"
    selection = pd.read_csv(root / "iter001/selection.csv")
    assert selection["sigma_F_max_eV_per_A"].notna().all()
    members = [
        load_model(p) for p in sorted((root / "iter000/model/committee").glob("member*/model.json"))
    ]
    assert len(members) == 3
    for (run, path), part in selection.groupby(["run", "trajectory"]):
        frames = read_frames(project / path) if (project / path).exists() else read_frames(path)
        frames = [frames[k] for k in part["frame"]]
        forces = np.array([[a.get_forces() for a in m.predict(frames)] for m in members])
        spread = np.sqrt(np.mean(np.sum((forces - forces.mean(axis=0)) ** 2, axis=3), axis=0))
        np.testing.assert_allclose(part["sigma_F_max_eV_per_A"], spread.max(axis=1), rtol=1e-6)
        chosen = part[part["selected"]]
        inside = part[part["sigma_F_max_eV_per_A"].between(1e-6, 10.0)]
        assert len(chosen) >= 1, f"run {run}: nothing labelled"
        assert chosen["sigma_F_max_eV_per_A"].max() == inside["sigma_F_max_eV_per_A"].max()
    labelled = read_frames(root / "iter001/labels/0000.extxyz")
    assert {a.info["frame_id"] for a in labelled} <= set(
        selection.loc[selection["selected"], "frame_id"]
    )
