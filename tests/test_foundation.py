"""A universal potential as a model, zero-shot (``type: foundation``): it is the
calculator level it names, evaluated and run like any model.

Here the level is ASE's Lennard-Jones in mofglass's own interpreter (fast, and its
answers are computed directly); the default config's CHGNet goes the same way in
its own environment (the default run and its report show it)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase.calculators.lj import LennardJones

from mofglass import families
from mofglass.families import publish
from mofglass.md import Protocol, Stage, run_md
from mofglass.models import load_model

LJ = {"sigma": 0.95, "epsilon": 0.012, "rc": 5.0}
LEVEL = {"name": "lj", "block": {"calculator": "ase.calculators.lj:LennardJones", "kwargs": LJ}}


@pytest.fixture
def zero_shot(tmp_path, tiny):
    species = sorted(set(tiny.get_chemical_symbols()))
    publish.foundation("lj_model", {"type": "foundation", "dataset": "d"}, LEVEL, species, tmp_path)
    return load_model(tmp_path / "model.json")


def test_a_foundation_model_predicts_what_its_level_computes(zero_shot, tiny):
    record = json.loads((zero_shot.directory / "family.json").read_text())
    assert record["level"] == LEVEL and record["spec"]["kwargs"] == LJ
    assert zero_shot.type == "foundation" and not zero_shot.pair_styles
    frames = []
    for k in range(3):
        frame = tiny.copy()
        frame.positions += np.random.default_rng(k).normal(0, 0.05, frame.positions.shape)
        frame.info["frame_id"] = f"f:{k}"
        frames.append(frame)
    predicted = zero_shot.predict(frames)
    for frame, got in zip(frames, predicted, strict=True):
        np.testing.assert_allclose(got.positions, frame.positions, atol=1e-7)  # extxyz's digits
        direct = got.copy()  # the level itself, on the positions the model was given
        direct.calc = LennardJones(**LJ)
        assert got.get_potential_energy() == pytest.approx(direct.get_potential_energy(), 1e-12)
        # forces and stress come back through extended XYZ, 8 decimals
        np.testing.assert_allclose(got.get_forces(), direct.get_forces(), atol=1e-8)
        np.testing.assert_allclose(got.get_stress(), direct.get_stress(), atol=1e-8)
        assert got.info["frame_id"] == frame.info["frame_id"]


def test_a_foundation_model_runs_the_md_engine(zero_shot, tiny, tmp_path):
    stage = Stage(
        "nvt", "nvt", temperature_K=50, steps=40, timestep_fs=1.0, thermo_every=10, dump_every=20
    )
    result = run_md(tiny, zero_shot, Protocol((stage,), seed=2), tmp_path / "md")
    assert result.verdict == "ok", result.reason
    assert len(result.thermo) == 5  # steps 0, 10, ..., 40
    assert [f.info["step"] for f in result.frames] == [20, 40]
    # the engine's energies are the level's on its own frames
    last = result.frames[-1].copy()
    last.calc = LennardJones(**LJ)
    potential = result.thermo["potential_energy_eV"].iloc[-1]
    assert potential == pytest.approx(last.get_potential_energy(), abs=1e-6)


def test_a_level_that_cannot_run_is_named(tmp_path, tiny):
    level = {"name": "ghost", "block": {"calculator": "no_such_package:Calculator"}}
    with pytest.raises(families.FamilyError, match="no_such_package"):
        publish.foundation("m", {"type": "foundation"}, level, ["H"], tmp_path)
