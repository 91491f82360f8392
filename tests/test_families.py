"""NequIP, Allegro and MACE: tiny models trained by each package's own trainer on CPU,
deployed (compiled), and checked against the trainer's own model."""

from __future__ import annotations

import json
import subprocess
import sys

import ase.io
import numpy as np
import pandas as pd
import pytest

from mofglass import families
from mofglass.atomicio import write_frames
from mofglass.families.runner import lammps_cell
from mofglass.lammps import evaluate
from mofglass.md import Protocol, Stage, run_md
from mofglass.models import Model, load_model, write_model

from .conftest import TINY_STRUCTURE, write_config

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
    write_frames(tmp_path / "train.extxyz", labelled[:4])
    write_frames(tmp_path / "val.extxyz", labelled[4:])
    out = tmp_path / "model"
    out.mkdir()
    args = {
        "family": family,
        "train": str(tmp_path / "train.extxyz"),
        "validation": str(tmp_path / "val.extxyz"),
        "out": str(out),
        "settings": SETTINGS,
        "lammps": True,  # also the deployment for LAMMPS's pair style (not runnable here)
    }
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
    model = load_model(out)
    stage = Stage("nvt", "nvt", temperature_K=100, steps=20, timestep_fs=0.25, thermo_every=5)
    protocol = Protocol((Stage(**{**stage.__dict__, "dump_every": 10}),), seed=2)
    result = run_md(labelled[0], model, protocol, tmp_path / "md")
    if result.verdict == "ok":
        assert list(result.thermo["step"]) == [0, 5, 10, 15, 20]
        assert [f.info["step"] for f in result.frames] == [10, 20]
    else:  # two epochs make a poor model: a runaway is found and named
        assert "runaway" in result.reason
    assert result.thermo["temperature_K"].iloc[0] == pytest.approx(100, rel=1e-6)

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
    protocol = Protocol((stage,), seed=3, barostat_damping_fs=25.0)
    result = run_md(labelled[0], model, protocol, tmp_path / "npt")
    cells = result.thermo[["lx_A", "ly_A", "lz_A", "xy_A", "xz_A", "yz_A"]].to_numpy()
    assert np.allclose(cells[0], lammps_cell(labelled[0].cell))
    if result.verdict == "ok":
        assert np.ptp(cells, axis=0).max() > 1e-6
        assert np.allclose(np.prod(cells[:, :3], axis=1), result.thermo["volume_A3"])
        assert not np.allclose(result.frames[-1].cell, labelled[0].cell)
    else:
        assert "runaway" in result.reason


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
    # two epochs start from the data's per-atom energy: within 1 eV/atom (an in-model
    # ZBL the initial shifts ignore put it 5 eV/atom off)
    assert test["energy_mae_meV_per_atom"] < 1000
    consistency = pd.read_csv(out / "consistency.csv")
    assert (consistency["max_abs_diff_forces_eV_per_A"] < 1e-3).all()
    verdict = pd.read_csv(project / "results/md/nq/check/verdict.tsv", sep="\t")
    assert verdict["verdict"].iloc[0] in ("ok", "failed") and verdict["n_atoms"].iloc[0] == 17
    html = (project / "results/report/index.html").read_text()
    assert "comparison (test MAE; Table 1 layout)" in html and "NequIP (Castel et al.)" in html
