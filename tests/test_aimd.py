"""Stage 3, AIMD: CP2K (GFN1-xTB) and calculator-level MD in restartable chunks, its
watch and its seeds."""

from __future__ import annotations

import numpy as np
import pytest
from ase.units import GPa, Hartree

from mofglass.aimd import run_aimd
from mofglass.atomicio import read_frames
from mofglass.calculators import CalculatorLevel, run_md
from mofglass.cp2k.inputs import MDSettings
from mofglass.labels import (
    QualityGate,
    single_point,
)

from .conftest import REPO

GATE = QualityGate()


@pytest.mark.cp2k
def test_aimd_chunks_agree_with_cp2k_and_with_one_long_run(tiny, xtb, serial, tmp_path):
    md = MDSettings(temperature_K=600, stress=True, seed=11, print_every=1)
    chunked = run_aimd(
        tiny,
        xtb,
        md,
        steps=6,
        chunk_steps=3,
        launcher=serial,
        workdir=tmp_path / "chunked",
        provenance={"run": "r"},
    )
    assert [f.info["step"] for f in chunked] == list(range(7))
    assert all(f.info["scf_converged"] for f in chunked)
    # energies and forces are CP2K's own numbers, converted to eV and eV/Å
    for k, steps in enumerate(((0, 1, 2, 3), (4, 5, 6))):
        ener = np.loadtxt(tmp_path / "chunked" / f"chunk{k:04d}" / "md-1.ener", ndmin=2)
        by_step = {int(row[0]): row[4] * Hartree for row in ener}
        for step in steps:
            assert chunked[step].get_potential_energy() == pytest.approx(by_step[step], abs=1e-8)
    # the restart carries positions, velocities and the thermostat's random state
    single = run_aimd(
        tiny, xtb, md, steps=6, chunk_steps=6, launcher=serial, workdir=tmp_path / "single"
    )
    for a, b in zip(chunked, single, strict=True):
        np.testing.assert_allclose(a.positions, b.positions, atol=1e-6)
        assert a.get_potential_energy() == pytest.approx(b.get_potential_energy(), abs=1e-5)
    # static stress of an AIMD frame = single-point stress at the same geometry
    sp = single_point(chunked[3], xtb, serial, tmp_path / "sp", stress=True)
    np.testing.assert_allclose(chunked[3].get_stress(), sp.get_stress(), atol=1e-4 * GPa)
    assert chunked[3].get_temperature() > 0  # momenta are stored


@pytest.mark.cp2k
def test_aimd_resumes_without_recomputing_finished_chunks(tiny, xtb, serial, tmp_path):
    md = MDSettings(temperature_K=300, seed=3)
    first = run_aimd(tiny, xtb, md, steps=4, chunk_steps=2, launcher=serial, workdir=tmp_path)
    stamp = (tmp_path / "chunk0000" / "cp2k.out").stat().st_mtime_ns
    # as if killed while chunk 1 was running: its outcome file never got written
    (tmp_path / "chunk0001" / "frames.extxyz").unlink()
    (tmp_path / "chunk0001" / "md-pos-1.xyz").write_text("17\n i = 3, time")  # half a frame
    second = run_aimd(tiny, xtb, md, steps=4, chunk_steps=2, launcher=serial, workdir=tmp_path)
    assert (tmp_path / "chunk0000" / "cp2k.out").stat().st_mtime_ns == stamp
    assert [f.info["step"] for f in second] == [0, 1, 2, 3, 4]
    for a, b in zip(first, second, strict=True):
        assert a.get_potential_energy() == pytest.approx(b.get_potential_energy(), abs=1e-6)


@pytest.mark.cp2k
def test_aimd_never_reuses_chunks_of_other_settings(tiny, xtb, serial, tmp_path):
    steps = dict(steps=4, chunk_steps=2, launcher=serial)
    old = run_aimd(tiny, xtb, MDSettings(temperature_K=300, seed=3), workdir=tmp_path, **steps)
    new = run_aimd(tiny, xtb, MDSettings(temperature_K=300, seed=4), workdir=tmp_path, **steps)
    fresh = run_aimd(
        tiny, xtb, MDSettings(temperature_K=300, seed=4), workdir=tmp_path / "fresh", **steps
    )
    assert new[1].get_potential_energy() != pytest.approx(old[1].get_potential_energy(), abs=1e-6)
    for a, b in zip(new, fresh, strict=True):
        assert a.get_potential_energy() == pytest.approx(b.get_potential_energy(), abs=1e-8)
    # a longer run with the same settings extends the finished chunks
    stamps = [(tmp_path / f"chunk{k:04d}" / "cp2k.out").stat().st_mtime_ns for k in (0, 1)]
    longer = run_aimd(
        tiny,
        xtb,
        MDSettings(temperature_K=300, seed=4),
        steps=6,
        chunk_steps=2,
        launcher=serial,
        workdir=tmp_path,
    )
    assert [(tmp_path / f"chunk{k:04d}" / "cp2k.out").stat().st_mtime_ns for k in (0, 1)] == stamps
    assert [f.info["step"] for f in longer] == list(range(7))


def test_a_run_that_heats_without_bound_stops_with_its_reason(tiny, tmp_path, monkeypatch):
    from mofglass.aimd import RunawayWatch, thermo_table
    from mofglass.atomicio import write_frames
    from mofglass.plan import AIMDRun
    from mofglass.pool import build_pool

    monkeypatch.setenv("PYTHONPATH", str(REPO / "tests"))
    heater = CalculatorLevel.from_config(
        "h", {"calculator": "calculators_for_tests:Heater", "kwargs": {"strength": 0.05}}
    )
    md = MDSettings(temperature_K=300, print_every=2, seed=4, timestep_fs=1.0)
    watch = RunawayWatch(300.0)
    frames = run_md(tiny, heater, md, 400, 40, tmp_path / "run", watch=watch)
    # the first frame past 900 K, found independently of the watch
    temperatures = [f.info["temperature_inst_K"] for f in frames]
    drift = [(f.info["conserved_eV"] - frames[0].info["conserved_eV"]) / len(tiny) for f in frames]
    bad = next(
        k
        for k, (t, d) in enumerate(zip(temperatures, drift, strict=True))
        if t > 900 or abs(d) > 0.05
    )
    assert bad > 10  # it ran a while before it ran away
    assert all("runaway" not in f.info for f in frames[:bad])
    assert all(f.info["runaway"].startswith("runaway: ") for f in frames[bad:])
    # it stopped: the runner ran no chunk after the one that ran away
    assert frames[-1].info["step"] < 400
    assert not (tmp_path / "run/chunk0009/frames.extxyz").exists()
    # the pool takes the frames before the runaway and none after
    (tmp_path / "thermo.tsv").write_text(thermo_table(frames))
    write_frames(tmp_path / "t.extxyz", frames)
    run = AIMDRun("ZnIm2", 300.0, 1.0)
    pool = build_pool([(run, str(tmp_path / "thermo.tsv"), str(tmp_path / "t.extxyz"))])
    assert pool["step"].max() < frames[bad].info["step"]


def test_the_watch_also_stops_a_drifting_conserved_quantity(tiny):
    from ase.calculators.singlepoint import SinglePointCalculator

    from mofglass.aimd import RunawayWatch, cut_at_runaway

    frames = []
    for step, drift_meV_per_atom in enumerate([0.0, 10.0, 49.0, -51.0, 0.0]):
        frame = tiny.copy()
        frame.calc = SinglePointCalculator(frame, energy=0.0, forces=np.zeros((len(tiny), 3)))
        frame.info.update(
            step=step, temperature_inst_K=310.0, conserved_eV=drift_meV_per_atom * len(tiny) / 1e3
        )
        frames.append(frame)
    reason = cut_at_runaway(frames, RunawayWatch(300.0))
    assert reason == "runaway: conserved quantity drifted -51.0 meV/atom by step 3, beyond 50"
    assert ["runaway" in f.info for f in frames] == [False, False, False, True, True]


def test_every_reference_run_has_its_own_seed(tiny, tmp_path):
    from mofglass.atomicio import write_frames
    from mofglass.jobs.aimd import aimd_job
    from mofglass.plan import AIMDRun

    write_frames(tmp_path / "s.extxyz", [tiny])
    aimd = {
        "timestep_fs": 0.5,
        "thermostat_timecon_fs": 100.0,
        "print_every": 2,
        "stress": False,
        "seed": 7,
        "masses": {},
        "watch": {},
        "steps": 4,
        "chunk_steps": 4,
    }
    level = {"calculator": "ase.calculators.lj:LennardJones", "kwargs": {"sigma": 0.9, "rc": 5.0}}
    ends = []
    for name in ("A", "B", "A"):  # same atoms, temperature and volume: only the name differs
        out = tmp_path / f"{name}{len(ends)}"
        aimd_job(
            str(tmp_path / "s.extxyz"),
            AIMDRun(name, 300.0, 1.0),
            aimd,
            "lj",
            level,
            {},
            str(out / "work"),
            {"trajectory": str(out / "t.extxyz"), "thermo": str(out / "thermo.tsv")},
        )
        ends.append(read_frames(out / "t.extxyz")[-1].positions)
    assert not np.allclose(ends[0], ends[1])  # two runs, two seeds
    np.testing.assert_allclose(ends[0], ends[2])  # a rerun, the same seed
