"""Cluster requests estimated from the config (mofglass.resources)."""

from __future__ import annotations

import pytest
import yaml
from ase.build import bulk

from mofglass import resources as res
from mofglass.atomicio import write_frames
from mofglass.config import validate_config

from .conftest import REPO


def test_atoms_and_frames_are_counted_from_the_file(tmp_path):
    """Extended XYZ and ASE's binary trajectory (what MD runs write), full and empty
    (the file of a failed run)."""
    frames = [bulk("Cu", cubic=True).repeat((2, 1, 1)) for _ in range(3)]
    for suffix in ("extxyz", "traj"):
        write_frames(tmp_path / f"f.{suffix}", frames)
        assert res.atoms_in(tmp_path / f"f.{suffix}") == 8
        assert res.frames_in(tmp_path / f"f.{suffix}") == 3
        write_frames(tmp_path / f"empty.{suffix}", [])
        assert res.atoms_in(tmp_path / f"empty.{suffix}") == 0
        assert res.frames_in(tmp_path / f"empty.{suffix}") == 0


def test_cp2k_requests_grow_with_work_method_and_attempt():
    small = res.cp2k_runtime_min("gfn1-xtb", 272, 0, 12, cores=1)
    long = res.cp2k_runtime_min("gfn1-xtb", 272, 0, 12000, cores=1)
    dft = res.cp2k_runtime_min("pbe-d3", 272, 0, 12000, cores=1)
    assert small == res.MIN_RUNTIME_MIN < long < dft
    assert res.cp2k_runtime_min("pbe-d3", 272, 0, 12000, cores=64) < dft
    assert res.cp2k_runtime_min("pbe-d3", 272, 20, 0, 32, attempt=2) == 2 * res.cp2k_runtime_min(
        "pbe-d3", 272, 20, 0, 32
    )
    assert res.cp2k_mem_mb_per_cpu("pbe-d3", 2176) > res.cp2k_mem_mb_per_cpu("gfn1-xtb", 2176)
    assert res.cp2k_mem_mb_per_cpu("gfn1-xtb", 272, attempt=3) == 4 * res.cp2k_mem_mb_per_cpu(
        "gfn1-xtb", 272
    )


def test_the_measured_xtb_aimd_fits_in_its_request():
    # bench/README.md: 12 steps of 272-atom ZIF-4 took 165 s on one core
    assert res.cp2k_runtime_min("gfn1-xtb", 272, 0, 12, cores=1) * 60 > 165


@pytest.fixture
def paper():
    config = yaml.safe_load((REPO / "config/paper.yaml").read_text())
    return validate_config(config, REPO / "workflow/schemas/config.schema.yaml")


def test_md_steps_follow_the_protocols(paper):
    # Castel et al.: 300 -> 1500 K at 20 K/ps twice, 50 ps plateau, 100 ps final, 0.5 fs
    mq = paper["meltquench"]
    ps = mq["equilibration_ps"] + 60 + 50 + 60 + 100
    assert res.meltquench_steps(mq) == pytest.approx(ps * 2000, abs=5)
    check = {"stages": [{"name": "a", "ensemble": "nvt", "temperature_K": 300, "steps": 200}]}
    assert res.protocol_steps(check) == 200
    assert res.md_runtime_min("snap", 2176, res.meltquench_steps(mq)) > 60


def test_model_gpus_default_by_family_and_override():
    assert res.model_gpus({"type": "snap"}) == 0
    assert res.model_gpus({"type": "snap", "gpus": None}) == 0
    assert res.model_gpus({"type": "snap", "gpus": 2}) == 2
    assert res.model_gpus({"type": "nequip"}) == 1
