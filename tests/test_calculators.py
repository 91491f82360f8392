"""Levels of theory that are ASE calculators: shipped universal potentials (SevenNet-0,
CHGNet) and user calculators, through reference MD and labelling, on the 17-atom system.

Real calculators throughout: the shipped potentials in their own environments
(``./install.sh --models sevenn,chgnet``), ASE's Lennard-Jones as a user's
``module:Class``, and two deliberately bad user calculators (tests/calculators_for_tests.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from ase.calculators.lj import LennardJones
from ase.units import GPa

from mofglass import calculators, levels
from mofglass.calculators import CalculatorError, CalculatorLevel, compute_labels, run_md
from mofglass.config import ConfigError, validate_config
from mofglass.cp2k.inputs import MDSettings
from mofglass.labels import QualityGate, label_batch_ase

from .conftest import REPO

GATE = QualityGate()
SEVENNET = CalculatorLevel.from_config(
    "sevennet", {"calculator": "sevennet-0", "dispersion": {"method": "PBE", "damping": "d3zero"}}
)
CHGNET = CalculatorLevel.from_config("chgnet", {"calculator": "chgnet"})
LJ = CalculatorLevel.from_config(
    "lj",
    {
        "calculator": "ase.calculators.lj:LennardJones",
        "kwargs": {"sigma": 0.9, "epsilon": 0.01, "rc": 5.0},
    },
)


def needs(level: CalculatorLevel) -> None:
    problems = calculators.problems(level)
    if problems:
        pytest.skip(problems[0])


def provenance(frames, run="r"):
    for k, atoms in enumerate(frames):
        atoms.info.update(run=run, step=k, frame_id=f"{run}:{k}", level_of_theory="sampling")
    return frames


@pytest.mark.parametrize("level", [SEVENNET, CHGNET], ids=["sevennet-0+d3", "chgnet"])
def test_shipped_potential_labels_forces_and_stress_that_belong_to_its_energy(
    level, tiny, tmp_path
):
    """Forces and stress are the derivatives of the energy (central differences)."""
    needs(level)
    h, eps = 2e-2, 5e-3  # large enough for CHGNet's float32 energies (1e-4 eV noise)
    frames = [tiny.copy()]
    for sign in (1, -1):
        moved = tiny.copy()
        moved.positions[3, 0] += sign * h
        frames.append(moved)
    for sign in (1, -1):
        strained = tiny.copy()
        cell = np.array(tiny.cell)
        strained.set_cell(cell @ (np.eye(3) + sign * eps * np.diag([1, 0, 0])), scale_atoms=True)
        frames.append(strained)
    frames = provenance(frames)
    accepted, quarantined = label_batch_ase(frames, level, tmp_path, GATE, stress=True)
    assert not quarantined and len(accepted) == 5
    e = [a.get_potential_energy() for a in accepted]
    force = accepted[0].get_forces()[3, 0]
    assert force == pytest.approx(-(e[1] - e[2]) / (2 * h), abs=5e-3)
    sxx = accepted[0].get_stress()[0]  # ASE: (1/V) dE/d(strain)
    assert sxx == pytest.approx((e[3] - e[4]) / (2 * eps) / tiny.get_volume(), abs=0.005 * GPa)
    for atoms in accepted:
        assert atoms.info["level_of_theory"] == level.name
        assert atoms.info["sampling_level_of_theory"] == "sampling"
        assert atoms.info["label_status"] == "accepted"


def test_shipped_potential_samples_restartable_md(tiny, tmp_path):
    """Bussi MD in chunks: continuous steps, conserved energy, labels that are the
    calculator's own, and one run in two chunks equal to one run in one chunk."""
    needs(SEVENNET)
    md = MDSettings(temperature_K=600, timestep_fs=0.5, print_every=2, stress=True, seed=5)
    chunked = run_md(tiny, SEVENNET, md, 8, 4, tmp_path / "chunked", {"run": "r"})
    assert [f.info["step"] for f in chunked] == [0, 2, 4, 6, 8]
    assert all(f.info["level_of_theory"] == "sevennet" for f in chunked)
    assert all(f.get_temperature() > 0 for f in chunked)  # momenta are stored
    conserved = [f.info["conserved_eV"] for f in chunked]
    assert np.ptp(conserved) < 0.01  # eV, 17 atoms, 4 fs
    single = run_md(tiny, SEVENNET, md, 8, 8, tmp_path / "single")
    for a, b in zip(chunked, single, strict=True):
        np.testing.assert_allclose(a.positions, b.positions, atol=1e-6)
    # an MD frame's energy, forces and stress are what a single point gives there
    (point,) = compute_labels(SEVENNET, [chunked[-1]], [tmp_path / "sp"], stress=True)
    assert point.get_potential_energy() == pytest.approx(chunked[-1].get_potential_energy(), 1e-6)
    np.testing.assert_allclose(point.get_forces(), chunked[-1].get_forces(), atol=1e-5)
    np.testing.assert_allclose(point.get_stress(), chunked[-1].get_stress(), atol=1e-7)


def test_killed_md_resumes_and_repeats_no_finished_chunk(tiny, tmp_path):
    needs(SEVENNET)
    structure = tmp_path / "start.extxyz"
    tiny.write(structure)
    script = textwrap.dedent(
        f"""
        import ase.io
        from mofglass.calculators import CalculatorLevel, run_md
        from mofglass.cp2k.inputs import MDSettings
        level = CalculatorLevel.from_config("sevennet", {{"calculator": "sevennet-0"}})
        md = MDSettings(temperature_K=300, print_every=1, seed=9)
        run_md(ase.io.read({str(structure)!r}), level, md, 300, 2, {str(tmp_path / "run")!r})
        """
    )
    job = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    chunk1 = tmp_path / "run" / "chunk0001"
    deadline = time.time() + 240
    while not (chunk1 / "frames.extxyz").exists() and time.time() < deadline:
        time.sleep(0.2)
    os.killpg(job.pid, signal.SIGKILL)  # the job and its calculator, mid-run
    job.wait()
    assert (chunk1 / "frames.extxyz").exists(), "the run never finished two chunks"
    finished = sorted((tmp_path / "run").glob("chunk*/frames.extxyz"))
    assert len(finished) < 150  # it was killed before the end
    stamps = {p: p.stat().st_mtime_ns for p in finished}
    level = CalculatorLevel.from_config("sevennet", {"calculator": "sevennet-0"})
    md = MDSettings(temperature_K=300, print_every=1, seed=9)
    # the same run, shortened to what was finished plus two chunks: resumes, repeats nothing
    steps = 2 * len(finished) + 4
    resumed = run_md(tiny, level, md, steps, 2, tmp_path / "run")
    assert {p: p.stat().st_mtime_ns for p in finished} == stamps
    assert [f.info["step"] for f in resumed] == list(range(steps + 1))
    fresh = run_md(tiny, level, md, steps, 2, tmp_path / "fresh")
    for a, b in zip(resumed, fresh, strict=True):
        np.testing.assert_allclose(a.positions, b.positions, atol=1e-6)


def test_user_calculator_by_module_and_class(tiny, tmp_path):
    """Any importable ASE calculator, with keyword arguments, in mofglass's Python."""
    frames = provenance([tiny.copy()])
    accepted, _ = label_batch_ase(frames, LJ, tmp_path, GATE, stress=True)
    reference = tiny.copy()
    reference.calc = LennardJones(sigma=0.9, epsilon=0.01, rc=5.0)
    assert accepted[0].get_potential_energy() == pytest.approx(reference.get_potential_energy())
    np.testing.assert_allclose(accepted[0].get_forces(), reference.get_forces(), atol=1e-7)
    # a rerun reuses the outcome; another geometry never does
    stamp = next(tmp_path.rglob("outcome.extxyz")).stat().st_mtime_ns
    label_batch_ase(frames, LJ, tmp_path, GATE, stress=True)
    assert next(tmp_path.rglob("outcome.extxyz")).stat().st_mtime_ns == stamp
    moved = provenance([tiny.copy()])
    moved[0].positions[0] += 0.1
    again, _ = label_batch_ase(moved, LJ, tmp_path, GATE, stress=True)
    assert again[0].get_potential_energy() != pytest.approx(reference.get_potential_energy())


def test_a_labelled_frame_keeps_the_types_of_its_runs_start(tiny, tmp_path):
    """Labelling (and the frame copies on its way) keeps the atom types a frame carries
    from its run's start: a typed model is fitted on the types it runs with."""
    from mofglass.chemistry import TYPE_ARRAY, inherit_types, model_types

    torn = tiny.copy()
    h = next(a.index for a in tiny if a.symbol == "H")
    torn.positions[h] += [2.5, 0.0, 0.0]
    assert model_types(torn) != model_types(tiny)
    inherit_types([torn], tiny)
    accepted, _ = label_batch_ase(provenance([torn]), LJ, tmp_path, GATE, stress=True)
    assert list(accepted[0].arrays[TYPE_ARRAY]) == model_types(tiny)


def test_bad_results_are_quarantined_and_a_failing_calculator_fails_the_job(
    tiny, tmp_path, monkeypatch
):
    monkeypatch.setenv("PYTHONPATH", str(REPO / "tests"))
    nan = CalculatorLevel.from_config("nan", {"calculator": "calculators_for_tests:NaNForces"})
    accepted, quarantined = label_batch_ase(provenance([tiny]), nan, tmp_path, GATE)
    assert not accepted and quarantined[0].info["quarantine_reason"] == "non-finite forces"
    broken = CalculatorLevel.from_config("b", {"calculator": "calculators_for_tests:Broken"})
    with pytest.raises(CalculatorError, match="license server is down"):
        label_batch_ase(provenance([tiny]), broken, tmp_path / "b", GATE)
    # nothing was cached: a rerun asks the calculator again
    assert not list((tmp_path / "b").rglob("outcome.extxyz"))


def test_unknown_or_uninstalled_calculators_are_refused_before_any_job(tmp_path):
    config = {
        "structures": {"ZIF-4": {"source": "builtin:ZIF-4"}},
        "levels_of_theory": {"u": {"calculator": "no-such-potential"}},
        "aimd": {"level_of_theory": "u"},
        "datasets": {},
    }
    with pytest.raises(ConfigError, match="levels_of_theory.u"):
        validate_config(config, REPO / "workflow" / "schemas" / "config.schema.yaml")
    absent = {
        "levels_of_theory": {
            "s": {"calculator": "sevennet-0", "env": "not-installed"},
            "m": {"calculator": "no_such_package.calculators:Calc"},
        },
        "aimd": {"level_of_theory": "s"},
        "datasets": {"d": {"level_of_theory": "m"}},
    }
    messages = levels.missing(absent)
    assert len(messages) == 2
    assert "./install.sh --models not-installed" in messages[1]
    assert "module 'no_such_package'" in messages[0]


def test_a_calculator_level_not_installed_is_planned_and_stops_the_job_that_needs_it(project):
    """A plan needs no calculator installed: the dry run lists the level with its install
    command and goes on; the first job at that level stops with the same line."""
    config = (project / "config" / "tiny.yaml").read_text()
    config = config.replace(
        "  xtb:\n    method: gfn1-xtb\n",
        "  xtb:\n    method: gfn1-xtb\n  u:\n    calculator: chgnet\n    env: not-installed\n",
    ).replace("level_of_theory: xtb", "level_of_theory: u")
    (project / "c.yaml").write_text(config)
    snakemake = Path(sys.executable).with_name("snakemake")
    planned = subprocess.run(
        [snakemake, "-n", "--configfile", "c.yaml"], cwd=project, capture_output=True, text=True
    )
    assert planned.returncode == 0, planned.stderr[-3000:]
    hint = "./install.sh --models not-installed"
    assert hint in planned.stderr.split("This run will need", 1)[1]
    assert not (project / "results").exists()
    ran = subprocess.run(
        [snakemake, "aimd", "--cores", "1", "--configfile", "c.yaml"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert ran.returncode != 0
    logs = "".join(p.read_text() for p in (project / "logs/aimd").rglob("*.log"))
    assert hint in logs
