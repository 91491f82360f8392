"""NequIP, Allegro and MACE: tiny models trained by each package's own trainer on CPU,
deployed (compiled), and checked against the trainer's own model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import ase.io
import numpy as np
import pandas as pd
import pytest

from mofglass import families
from mofglass.atomicio import read_frames, write_frames
from mofglass.lammps import evaluate
from mofglass.md import Protocol, Stage, run_md
from mofglass.md.ase_dynamics import lammps_cell
from mofglass.models import Model, load_model, write_model

from .conftest import TINY_STRUCTURE, write_config
from .test_workflow import assert_verdict_matches_thermo

pytestmark = pytest.mark.lammps

# a smooth teacher for every pair (not chemistry: something to learn)
TEACHER = ("pair_style morse 4.5", "pair_coeff * * 0.08 1.6 1.8")
SPECIES = ("C", "H", "N", "Zn")
SETTINGS = {
    "seed": 1,
    "r_max_A": 4.0,
    "num_layers": 1,
    "l_max": 1,
    "parity": False,
    "num_features": 8,
    "radial_mlp_depth": 1,
    "radial_mlp_width": 16,
    "num_tensor_features": 4,
    "correlation": 2,
    "epochs": 2,
    "batch_size": 2,
    "learning_rate": 0.01,
    "energy_weight": 1.0,
    "forces_weight": 10.0,
    "stress_weight": 0.0,
    "zbl": False,
    "device": "cpu",
    "extra": {},
}


@pytest.fixture(scope="module")
def labelled():
    """Six rattled copies of the 17-atom Zn(Im)2 fragment, labelled by the teacher."""
    base = ase.io.read(TINY_STRUCTURE)
    frames = []
    for k in range(6):
        atoms = base.copy()
        atoms.rattle(0.05, seed=k)
        frame = evaluate(atoms, SPECIES, TEACHER)
        frame.info.update(frame_id=f"t:{k}")
        frames.append(frame)
    return frames


@pytest.mark.parametrize("family", ["nequip", "allegro", "mace"])
def test_family_trains_deploys_and_agrees_with_its_own_calculator(family, labelled, tmp_path):
    if families.python_for(family) is None:
        pytest.skip(families.install_hint(family))
    # also the deployment for LAMMPS's pair style (not runnable here)
    args = training_args(family, labelled, tmp_path, SETTINGS, lammps=True)
    out = Path(args["out"])
    record = families.run(family, "train", args)
    assert record["family"] == family and (out / record["deployed"]).exists()
    assert record["lammps_deployed"] == families.LAMMPS_FILES[family]
    assert (out / record["lammps_deployed"]).stat().st_size > 10_000
    deployed = families.predict(out, labelled, device="cpu")
    own = families.predict(out, labelled, device="cpu", own=True)
    for a, b, ref in zip(deployed, own, labelled, strict=True):
        assert a.info["frame_id"] == ref.info["frame_id"]
        assert abs(a.get_potential_energy() - b.get_potential_energy()) / len(a) < 1e-5
        np.testing.assert_allclose(a.get_forces(), b.get_forces(), atol=1e-4)
        assert np.isfinite(a.get_stress()).all()

    # a short NVT through the MD engine (ASE's dynamics: no LAMMPS pair style here)
    write_model(out, Model("m", family, SPECIES, (), (), info={"device": "cpu"}))
    model = load_model(out / "model.json")
    stage = Stage("nvt", "nvt", temperature_K=100, steps=20, timestep_fs=0.25, thermo_every=5)
    # the engine is tested, not the two-epoch model: no runaway watch, so the run must
    # finish; a second run, started far too hot, must be stopped by the watch
    stage = Stage(**{**stage.__dict__, "dump_every": 10})
    protocol = Protocol((stage,), seed=2, max_temperature_factor=None)
    result = run_md(labelled[0], model, protocol, tmp_path / "md")
    assert result.verdict == "ok", result.reason
    assert list(result.thermo["step"]) == [0, 5, 10, 15, 20]
    assert [f.info["step"] for f in result.frames] == [10, 20]
    assert result.thermo["temperature_K"].iloc[0] == pytest.approx(100, rel=1e-6)
    # a minimisation first (the coexistence slabs' seams): positions relaxed at fixed
    # cell, the energy down, then the dynamics from there
    relax = Stage("relax", "minimize", max_iterations=30)
    relaxed = run_md(labelled[0], model, Protocol((relax, stage), seed=2), tmp_path / "relax")
    assert relaxed.verdict == "ok", relaxed.reason
    rows = relaxed.thermo[relaxed.thermo["stage"] == "relax"]
    assert list(rows["step"]) == [0, 0]  # no time passes
    assert rows["potential_energy_eV"].iloc[1] < rows["potential_energy_eV"].iloc[0] - 1e-3
    assert list(relaxed.thermo[relaxed.thermo["stage"] == "nvt"]["step"]) == [0, 5, 10, 15, 20]
    hot = Protocol((stage,), seed=2, initial_temperature_K=2000.0)  # 20 x the target
    stopped = run_md(labelled[0], model, hot, tmp_path / "hot")
    assert stopped.verdict == "failed" and "runaway" in stopped.reason
    assert stopped.failed_at_ps <= 0.00125 + 1e-9  # at the first thermo row after step 0

    # NPT with a fully flexible cell (ASE's MTK barostat): the cell columns move
    stage = Stage(
        "npt",
        "npt",
        temperature_K=100,
        cell="tri",
        steps=20,
        timestep_fs=0.25,
        thermo_every=5,
        dump_every=10,
    )
    protocol = Protocol((stage,), seed=3, barostat_damping_fs=25.0, max_temperature_factor=None)
    result = run_md(labelled[0], model, protocol, tmp_path / "npt")
    assert result.verdict == "ok", result.reason
    cells = result.thermo[["lx_A", "ly_A", "lz_A", "xy_A", "xz_A", "yz_A"]].to_numpy()
    assert np.allclose(cells[0], lammps_cell(labelled[0].cell))
    assert np.ptp(cells, axis=0).max() > 1e-6
    assert np.allclose(np.prod(cells[:, :3], axis=1), result.thermo["volume_A3"])
    assert not np.allclose(result.frames[-1].cell, labelled[0].cell)


@pytest.mark.workflow
@pytest.mark.cp2k
def test_tiny_pipeline_trains_and_runs_a_nequip_model(project):
    if families.python_for("nequip") is None:
        pytest.skip(families.install_hint("nequip"))
    network = {"r_max_A": 4.0, "num_layers": 1, "num_features": 8, "radial_mlp_depth": 1}
    network |= {"radial_mlp_width": 16, "epochs": 2, "batch_size": 1, "device": "cpu"}
    model = {"type": "nequip", "dataset": "fh", "network": network}
    config = write_config(
        project,
        "nequip.yaml",
        "tiny.yaml",
        models__nq=model | {"learning_curve": {"fractions": [1.0]}},
    )
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "results/report/index.html", "--cores", "2"]
        + ["--configfile", config],  # targets first: --configfile takes every word after it
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    out = project / "results/models/nq"
    assert json.loads((out / "model.json").read_text())["type"] == "nequip"
    test = pd.read_csv(out / "metrics.csv").query("split == 'test'").iloc[0]
    # the reported test errors are the deployed model's, recomputed here by hand
    frames = read_frames(project / "results/datasets/fh/test.extxyz")
    predicted = families.predict(out, frames, device="cpu")
    per_atom = [
        abs(p.get_potential_energy() - f.get_potential_energy()) / len(f)
        for p, f in zip(predicted, frames, strict=True)
    ]
    assert test["energy_mae_meV_per_atom"] == pytest.approx(1e3 * np.mean(per_atom), rel=1e-4)
    forces = np.concatenate(
        [(p.get_forces() - f.get_forces()).ravel() for p, f in zip(predicted, frames, strict=True)]
    )
    assert test["forces_rmse_meV_per_A"] == pytest.approx(
        1e3 * np.sqrt(np.mean(forces**2)), rel=1e-4
    )
    consistency = pd.read_csv(out / "consistency.csv")
    assert (consistency["max_abs_diff_forces_eV_per_A"] < 1e-3).all()
    verdict = pd.read_csv(project / "results/md/nq/check/verdict.tsv", sep="\t").iloc[0]
    thermo = pd.read_csv(project / "results/md/nq/check/thermo.tsv", sep="\t")
    assert verdict["n_atoms"] == 17
    assert_verdict_matches_thermo(verdict, thermo, protocol_ps=0.1)
    html = (project / "results/report/index.html").read_text()
    assert "comparison (test MAE; Table 1 layout)" in html and "NequIP (Castel et al.)" in html


def training_args(family: str, labelled, tmp_path, settings: dict, **extra) -> dict:
    """The runner's arguments to train ``family`` on four of the frames, validated on the
    other two, into ``tmp_path/model``."""
    write_frames(tmp_path / "train.extxyz", labelled[:4])
    write_frames(tmp_path / "val.extxyz", labelled[4:])
    (tmp_path / "model").mkdir()
    return {
        "family": family,
        "train": str(tmp_path / "train.extxyz"),
        "validation": str(tmp_path / "val.extxyz"),
        "out": str(tmp_path / "model"),
        "settings": settings,
        **extra,
    }


def test_a_killed_nequip_training_goes_on_from_its_last_epoch(labelled, tmp_path):
    """A training killed after its first epochs (a job at its time limit), started again
    with the same settings: it continues from Lightning's last checkpoint, its first
    epoch after the ones done, instead of starting at epoch 0."""
    import os
    import signal
    import time

    python = families.python_for("nequip")
    if python is None:
        pytest.skip(families.install_hint("nequip"))
    settings = {**SETTINGS, "epochs": 300}
    args = training_args("nequip", labelled, tmp_path, settings, lammps=False, deploy=False)
    (tmp_path / "args.json").write_text(json.dumps(args))
    first = subprocess.Popen(
        [python, str(families.RUNNER), "train", str(tmp_path / "args.json")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    training = Path(args["out"]) / "training"
    deadline = time.monotonic() + 600
    while not (training / "last.ckpt").is_file() and time.monotonic() < deadline:
        assert first.poll() is None, "the training ended before it could be killed"
        time.sleep(0.5)
    time.sleep(0.5)  # the checkpoint written whole
    assert first.poll() is None, "the training ended before it could be killed"
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()

    families.run("nequip", "train", args)
    (resumed,) = training.glob("train.resumed*.log")
    assert "Continuing training with checkpoint file" in resumed.read_text()
    assert (training / "train.log").is_file()  # the killed attempt's log kept beside it
    # Lightning writes one metrics file per attempt
    logs = sorted(training.glob("lightning_logs/version_*/metrics.csv"))
    assert len(logs) == 2  # the killed run's and the resumed run's
    before, after = (pd.read_csv(log)["epoch"] for log in logs)
    assert 1 <= after.min() <= before.max() + 1  # no epoch 0 again
    assert after.max() == 299
