"""Cross-checks: two levels compared on the same frames; a glass judged at its teacher's
level next to a crystal frame."""

from __future__ import annotations

import numpy as np
import pytest
from ase.calculators.lj import LennardJones
from ase.units import GPa, kJ, mol

from mofglass.atomicio import read_frames, read_table, write_frames
from mofglass.cross_check import glass_judgement, level_errors
from mofglass.frames import attach_results
from mofglass.jobs.cross_check import level_check_job
from mofglass.labels import Labelling

LABELS = {"stress": True, "quality_gate": {"max_force_eV_per_A": 20.0, "max_stress_GPa": 50.0}}


def labelled(atoms, energy, forces, stress=None):
    frame = atoms.copy()
    return attach_results(frame, energy, forces, stress)


def test_level_errors_remove_the_offset_between_levels(tiny):
    rng = np.random.default_rng(0)
    n = len(tiny)
    ref, other, de, df = [], [], [], []
    for _ in range(4):
        e, f = rng.normal(-100, 1), rng.normal(0, 1, (n, 3))
        noise_e, noise_f = rng.normal(0, 0.01), rng.normal(0, 0.05, (n, 3))
        ref.append(labelled(tiny, e, f, np.full(6, 0.01)))
        # another level: its own zero of energy (+3 eV/atom) and some disagreement
        other.append(labelled(tiny, e + 3.0 * n + noise_e * n, f + noise_f, np.full(6, 0.02)))
        de.append(noise_e)
        df.append(noise_f)
    out = level_errors(ref, other)
    de = np.array(de)
    assert out["n_frames"] == 4
    assert out["energy_offset_eV_per_atom"] == pytest.approx(3.0 + de.mean())
    assert out["energy_rmse_meV_per_atom"] == pytest.approx(1e3 * de.std())
    assert out["forces_rmse_meV_per_A"] == pytest.approx(1e3 * np.sqrt(np.mean(np.square(df))))
    assert out["stress_rmse_GPa"] == pytest.approx(0.01 / GPa)
    with pytest.raises(ValueError):
        level_errors(ref, other[:2])


def test_glass_judgement_against_the_crystal(tiny):
    n = len(tiny)
    forces = np.ones((n, 3))
    crystal = labelled(tiny, -10.0 * n, 0.5 * forces)
    teacher = labelled(tiny, -10.0 * n + 0.02 * n, forces)
    student = labelled(tiny, 0.0, forces + 0.1)
    out = glass_judgement(teacher, student, crystal)
    assert out["energy_above_crystal_meV_per_atom"] == pytest.approx(20.0)
    # one Zn in the fragment: 0.02 eV/atom times the atoms per Zn
    assert out["energy_above_crystal_kJ_per_mol_metal"] == pytest.approx(0.02 * n / (kJ / mol))
    assert out["rms_force_eV_per_A"] == pytest.approx(1.0)
    assert out["crystal_rms_force_eV_per_A"] == pytest.approx(0.5)
    assert out["student_forces_rmse_meV_per_A"] == pytest.approx(100.0)


def test_level_check_job_labels_the_test_split_at_the_second_level(tiny, tmp_path):
    """Reference labels from one Lennard-Jones, the second level another: the job's
    errors are those of the two calculators, computed here directly."""
    a, b = {"sigma": 0.9, "epsilon": 0.01, "rc": 5.0}, {"sigma": 0.95, "epsilon": 0.012, "rc": 5.0}
    frames = []
    for k in range(3):
        frame = tiny.copy()
        frame.positions += np.random.default_rng(k).normal(0, 0.02, frame.positions.shape)
        frame.calc = LennardJones(**a)
        energy, forces = frame.get_potential_energy(), frame.get_forces()
        stress = frame.get_stress()
        frame = labelled(frame, energy, forces, stress)
        frame.info.update(run="r", step=k, frame_id=f"r:{k}", level_of_theory="lj_a")
        frames.append(frame)
    write_frames(tmp_path / "test.extxyz", frames)
    level = {"calculator": "ase.calculators.lj:LennardJones", "kwargs": b}
    out = {name: str(tmp_path / f"{name}.x") for name in ("labelled", "quarantine", "errors")}
    labelling = Labelling("lj_b", level, LABELS, {}, str(tmp_path / "work"))
    level_check_job(labelling, str(tmp_path / "test.extxyz"), "d", out)
    row = read_table(out["errors"]).iloc[0]
    assert (row["reference_level"], row["other_level"], row["n_frames"]) == ("lj_a", "lj_b", 3)
    df = []
    for frame in frames:
        other = frame.copy()
        other.calc = LennardJones(**b)
        df.append(other.get_forces() - frame.get_forces())
    expected = 1e3 * np.sqrt(np.mean(np.square(df)))
    assert row["forces_rmse_meV_per_A"] == pytest.approx(expected, rel=1e-5)
    assert len(read_frames(out["labelled"])) == 3


def test_glasses_bigger_than_the_jobs_memory_are_not_checked_and_say_why(tmp_path, monkeypatch):
    """Two glasses whose labelling is expected to need 38 GB in a job of 8 GB: each gets
    a row that says so, and no label is asked for (the labelling has no way to give one)."""
    from types import SimpleNamespace

    from ase.build import bulk

    from mofglass.jobs.cross_check import glass_check_job

    monkeypatch.setenv("SLURM_MEM_PER_NODE", "8000")
    crystal = bulk("Ar", "fcc", a=5.26, cubic=True)
    write_frames(tmp_path / "crystal.extxyz", [crystal])
    (tmp_path / "verdict.tsv").write_text("verdict\nok\n")
    finals = []
    for k in range(2):
        finals.append(str(tmp_path / f"glass{k}.extxyz"))
        write_frames(finals[-1], [crystal.copy()])
    table = glass_check_job(
        finals,
        str(tmp_path / "crystal.extxyz"),
        str(tmp_path / "verdict.tsv"),
        str(tmp_path / "no-model.json"),
        "m",
        SimpleNamespace(level_name="pbe-d3"),
        str(tmp_path / "glasses.csv"),
        glass_memory_mb=38_000.0,
    )
    assert list(table["replica"]) == [0, 1]
    assert (table["status"] == "not checked").all()
    assert table["reason"].str.startswith("pbe-d3 of a glass needs about 37.1 GB").all()
    assert read_table(tmp_path / "glasses.csv")["status"].tolist() == ["not checked"] * 2
