"""Stage 9, melt-quench: the protocol's stages follow the rates; a replica writes its
glass and its verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ase.build import bulk

from mofglass.md import recipes

from .conftest import ARGON

pytestmark = pytest.mark.lammps


def meltquench_block(**changes):
    block = {
        "supercell": [1, 1, 1],
        "seed": 5,
        "ensemble": "nvt",
        "cell": "iso",
        "timestep_fs": 5.0,
        "start_temperature_K": 20.0,
        "max_temperature_K": 50.0,
        "heating_rate_K_per_ps": 3.0,
        "cooling_rate_K_per_ps": 6.0,
        "equilibration_ps": 2.0,
        "plateau_ps": 4.0,
        "final_ps": 4.0,
        "thermo_every": 20,
        "dump_every": 40,
        "segment_ps": 2.0,
        "watch": {
            "close_contact_A": 0.7,
            "linker_bond_max_A": 2.0,
            "coordination": [2, 6],
            "max_temperature_factor": 1.5,
        },
    }
    block.update(changes)
    return block


def test_meltquench_protocol_follows_the_rates():
    protocol = recipes.meltquench(meltquench_block(), seed=5)
    durations = {s.name: s.n_steps * s.timestep_fs / 1000 for s in protocol.stages}
    assert durations == {"equilibrate": 2, "heat": 10, "plateau": 4, "quench": 5, "final": 4}
    heat = protocol.stages[1]
    assert (heat.temperature_K, heat.temperature_end_K) == (20.0, 50.0)
    assert protocol.segment_steps == 400 and protocol.max_temperature_factor == 1.5


def test_meltquench_job_writes_the_final_glass_and_a_verdict(argon, tmp_path):
    from mofglass.atomicio import read_frames, write_frames
    from mofglass.jobs.meltquench import meltquench_job
    from mofglass.models import write_model

    write_model(tmp_path / "model", ARGON)
    write_frames(tmp_path / "structure.extxyz", [argon])
    outputs = {k: str(tmp_path / f"out/{k}") for k in ("thermo", "figure", "verdict")}
    outputs.update(trajectory=str(tmp_path / "out/t.extxyz"), final=str(tmp_path / "out/f.extxyz"))
    verdict = meltquench_job(
        str(tmp_path / "model" / "model.json"),
        str(tmp_path / "structure.extxyz"),
        meltquench_block(),
        {"thermostat_damping_fs": 500.0, "watch": meltquench_block()["watch"]},
        0,
        str(tmp_path / "run"),
        outputs,
    )
    assert verdict == "ok"
    final = read_frames(outputs["final"])
    assert len(final) == 4000 / 5 / 40  # final stage: 4 ps of 5 fs steps, a frame every 40
    assert all(f.info["source"] == "meltquench" for f in final)
    thermo = pd.read_csv(outputs["thermo"], sep="\t")
    assert list(thermo["stage"].unique()) == ["equilibrate", "heat", "plateau", "quench", "final"]
    plateau = thermo[thermo["stage"] == "plateau"]["temperature_K"]
    assert abs(plateau.mean() - 50) < 6


def test_sigma_along_a_run_is_the_members_spread_and_marks_the_trust_bound():
    """Two members that differ on one atom by ±d along x: that atom's σ is d (the RMS
    distance to their mean), every other atom's 0, so σ_F max = d and mean = d / N."""
    from ase.calculators.singlepoint import SinglePointCalculator

    from mofglass.meltquench import committee_along

    frames, members = [], [[], []]
    for k, d in enumerate((0.01, 0.2, 0.6)):
        atoms = bulk("Ar", "fcc", a=5.26, cubic=True)
        atoms.info.update(step=100 * k, time_ps=0.05 * k)
        frames.append(atoms)
        for sign, member in zip((1, -1), members, strict=True):
            forces = np.zeros((len(atoms), 3))
            forces[1, 0] = sign * d
            predicted = atoms.copy()
            predicted.calc = SinglePointCalculator(predicted, energy=0.0, forces=forces)
            member.append(predicted)
    table = committee_along(frames, members, high_eV_per_A=0.35)
    assert table["sigma_F_max_eV_per_A"].tolist() == pytest.approx([0.01, 0.2, 0.6])
    assert table["sigma_F_mean_eV_per_A"].tolist() == pytest.approx([0.0025, 0.05, 0.15])
    assert table["beyond_trust"].tolist() == [False, False, True]
    assert table["time_ps"].tolist() == pytest.approx([0.0, 0.05, 0.1])


def test_an_anneal_pauses_the_quench_at_its_temperature():
    """With an anneal the quench runs down to its temperature at the cooling rate,
    holds there for its duration, then goes on to the start temperature; the stage
    lengths follow from the rates (the test's own arithmetic)."""
    from mofglass.md import recipes

    block = {
        "ensemble": "nvt",
        "timestep_fs": 0.5,
        "thermo_every": 10,
        "dump_every": 10,
        "start_temperature_K": 300.0,
        "max_temperature_K": 1500.0,
        "heating_rate_K_per_ps": 1200.0,
        "cooling_rate_K_per_ps": 600.0,
        "equilibration_ps": 0.5,
        "plateau_ps": 1.0,
        "final_ps": 1.5,
        "segment_ps": 0.25,
        "watch": {"max_temperature_factor": 1.5},
        "anneal": {"temperature_K": 800.0, "duration_ps": 2.0},
    }
    stages = {s.name: s for s in recipes.meltquench(block, 1).stages}
    assert list(stages) == [
        "equilibrate",
        "heat",
        "plateau",
        "quench",
        "anneal",
        "quench2",
        "final",
    ]
    assert stages["quench"].temperature_K == 1500 and stages["quench"].temperature_end_K == 800
    assert stages["quench"].duration_ps == pytest.approx(700 / 600)
    assert stages["anneal"].temperature_K == 800 and stages["anneal"].duration_ps == 2.0
    assert stages["quench2"].duration_ps == pytest.approx(500 / 600)
    assert stages["quench2"].temperature_end_K == 300
    block["anneal"] = None
    plain = [s.name for s in recipes.meltquench(block, 1).stages]
    assert plain == ["equilibrate", "heat", "plateau", "quench", "final"]
