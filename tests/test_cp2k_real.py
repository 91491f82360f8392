"""The real CP2K (GFN1-xTB) on the 17-atom test system: single points, labels, AIMD."""

from __future__ import annotations

import re

import numpy as np
import pytest
from ase.units import Bohr, GPa, Hartree

from mofglass.atomicio import read_frames
from mofglass.cp2k.levels import LevelOfTheory
from mofglass.cp2k.run import CP2KError, Launcher, run_cp2k
from mofglass.labels import (
    QualityGate,
    compute_label,
    label_batch,
    label_frame,
    single_point,
)

pytestmark = pytest.mark.cp2k

GATE = QualityGate()


def cp2k_energy(out_text: str) -> float:
    """The last total energy CP2K printed, in eV (read independently of mofglass)."""
    values = re.findall(r"ENERGY\| Total FORCE_EVAL \( QS \) energy \[a\.u\.\]:\s+(\S+)", out_text)
    return float(values[-1]) * Hartree


def cp2k_forces(path) -> np.ndarray:
    """CP2K's force table (eV/Å), read with numpy rather than mofglass's reader."""
    rows = [line.split() for line in open(path) if re.match(r"\s+\d+\s+\d+\s+[A-Z][a-z]?\s", line)]
    return np.array([[float(x) for x in row[3:6]] for row in rows]) * Hartree / Bohr


def test_labelled_frame_agrees_with_cp2k_output(tiny, xtb, serial, tmp_path):
    tiny.info.update(frame_id="test:0", run="test", step=0, level_of_theory="aimd-level")
    labelled = label_frame(tiny, xtb, serial, tmp_path / "f", GATE, stress=True)
    assert labelled.info["label_status"] == "accepted"
    assert labelled.info["level_of_theory"] == "xtb"
    assert labelled.info["sampling_level_of_theory"] == "aimd-level"
    out = (tmp_path / "f" / "cp2k.out").read_text()
    assert labelled.get_potential_energy() == pytest.approx(cp2k_energy(out), abs=1e-8)
    np.testing.assert_allclose(
        labelled.get_forces(), cp2k_forces(tmp_path / "f" / "sp-forces-1_0.xyz"), atol=1e-8
    )
    np.testing.assert_allclose(labelled.positions, tiny.positions)
    assert np.isfinite(labelled.get_stress()).all()


def test_stress_is_the_strain_derivative_of_the_energy(tiny, xtb, serial, tmp_path):
    """ASE's convention: stress = (1/V) dE/d(strain). Checked by central differences."""
    reference = single_point(tiny, xtb, serial, tmp_path / "ref", stress=True)
    sigma = reference.get_stress(voigt=False)
    h = 2e-3
    for i, j in ((0, 0), (2, 2), (0, 1)):
        energies = []
        for sign in (1, -1):
            strain = np.eye(3)  # symmetric strain of size h in component (i, j)
            strain[i, j] += sign * h / 2
            strain[j, i] += sign * h / 2
            strained = tiny.copy()
            strained.set_cell(tiny.cell[:] @ strain, scale_atoms=True)
            sp = single_point(strained, xtb, serial, tmp_path / f"e{i}{j}{sign}", stress=False)
            energies.append(sp.get_potential_energy())
        numeric = (energies[0] - energies[1]) / (2 * h) / tiny.get_volume()
        assert numeric == pytest.approx(sigma[i, j], abs=2e-3 * GPa), (i, j)
    assert np.abs(sigma).max() > 0.02 * GPa  # the check above is not trivially 0 = 0


def test_unconverged_scf_goes_to_quarantine(tiny, serial, tmp_path):
    starved = LevelOfTheory.from_config(
        "starved",
        {
            "method": "gfn1-xtb",
            "overrides": {
                "force_eval": {"dft": {"scf": {"max_scf": 1, "outer_scf": {"max_scf": 1}}}}
            },
        },
    )
    tiny.info.update(frame_id="R/T300_V1.000:3", run="R/T300_V1.000", step=3)
    accepted, quarantined = label_batch([tiny], starved, serial, tmp_path, GATE)
    assert accepted == []
    (bad,) = quarantined
    assert bad.info["label_status"] == "quarantined"
    assert bad.info["quarantine_reason"] == "SCF not converged"
    assert bad.calc is None  # no energy or forces travel with it
    (stored,) = read_frames(
        tmp_path / "R/T300_V1.000/step00000003/outcome.extxyz"
    )  # CP2K's raw outcome
    assert not stored.info["scf_converged"]
    assert "SCF run NOT converged" in (tmp_path / "R/T300_V1.000/step00000003/cp2k.out").read_text()


def test_an_abort_of_the_environment_fails_and_caches_nothing(tiny, serial, tmp_path):
    # a data file CP2K cannot find is the setup's fault, not the frame's: the job fails
    # with CP2K's message, nothing is cached, and a rerun with the file present succeeds
    broken = LevelOfTheory.from_config(
        "broken",
        {
            "method": "gfn1-xtb",
            "overrides": {
                "force_eval": {
                    "subsys": {
                        "topology": {"coord_file_name": "missing.xyz", "coord_file_format": "xyz"}
                    }
                }
            },
        },
    )
    tiny.info.update(frame_id="R:0", run="R", step=0)
    with pytest.raises(CP2KError, match="Coordinate file <missing.xyz> not found") as info:
        label_batch([tiny], broken, serial, tmp_path, GATE)
    assert not info.value.physical
    assert not list(tmp_path.rglob("outcome.extxyz"))


def test_atoms_on_top_of_each_other_are_quarantined_not_a_crash(tiny, xtb, serial, tmp_path):
    # CP2K prints the forces of two atoms 0.02 Å apart as Fortran overflow (asterisks)
    tiny.positions[1] = tiny.positions[0] + [0.02, 0.0, 0.0]
    tiny.info.update(frame_id="R:0", run="R", step=0)
    accepted, quarantined = label_batch([tiny], xtb, serial, tmp_path, GATE)
    assert accepted == [] and len(quarantined) == 1
    reason = quarantined[0].info["quarantine_reason"]
    assert "finite" in reason, reason
    (forces_file,) = tmp_path.rglob("sp-forces-*.xyz")
    assert "****" in forces_file.read_text()  # the overflow really was there
    assert list(tmp_path.rglob("outcome.extxyz"))  # a physics outcome is cached


def test_cp2k_that_dies_without_a_message_stops_the_job(tiny, xtb, tmp_path):
    with pytest.raises(CP2KError, match="exit code 1"):
        label_frame(tiny, xtb, Launcher(command="false"), tmp_path / "f", GATE)
    with pytest.raises(CP2KError, match="cannot start CP2K with 'no-such-cp2k'"):
        run_cp2k("", tmp_path / "g", Launcher(command="no-such-cp2k"))
    # a launcher that says why and exits 0 without running CP2K (an srun that could not
    # start its step): its words reach the error, since a retry overwrites its file
    said = Launcher(command="echo srun: error: step creation temporarily disabled")
    with pytest.raises(CP2KError, match="exit code 0.*ends: srun: error: step creation"):
        run_cp2k("", tmp_path / "h", said)


def test_label_batch_never_reuses_the_outcome_of_another_frame(tiny, xtb, serial, tmp_path):
    tiny.info.update(frame_id="R:0", run="R", step=0)
    (first,), _ = label_batch([tiny], xtb, serial, tmp_path, GATE)
    moved = tiny.copy()
    moved.positions[0] += [0.05, 0.0, 0.0]
    moved.info["frame_id"] = "R:0"  # the same frame name, from a rerun AIMD with other settings
    (second,), _ = label_batch([moved], xtb, serial, tmp_path, GATE)
    np.testing.assert_allclose(second.positions, moved.positions)
    assert second.get_potential_energy() != pytest.approx(first.get_potential_energy(), abs=1e-4)
    stamp = (tmp_path / "R/step00000000/cp2k.out").stat().st_mtime_ns
    (again,), _ = label_batch([moved], xtb, serial, tmp_path, GATE)  # now it is reused
    assert (tmp_path / "R/step00000000/cp2k.out").stat().st_mtime_ns == stamp
    assert again.get_potential_energy() == second.get_potential_energy()
    # a stricter gate judges the stored outcome anew, without running CP2K again
    strict = QualityGate(max_force_eV_per_A=0.5)
    accepted, (rejected,) = label_batch([moved], xtb, serial, tmp_path, strict)
    assert accepted == [] and "above the gate's 0.5 eV/Å" in rejected.info["quarantine_reason"]
    assert (tmp_path / "R/step00000000/cp2k.out").stat().st_mtime_ns == stamp
    # a reused outcome carries the request's provenance, not the one it was computed for
    moved.info.update(split="test", stretch_A=0.4)
    (relabelled,), _ = label_batch([moved], xtb, serial, tmp_path, GATE)
    assert (tmp_path / "R/step00000000/cp2k.out").stat().st_mtime_ns == stamp
    assert relabelled.info["split"] == "test" and relabelled.info["stretch_A"] == 0.4
    assert relabelled.info["level_of_theory"] == "xtb" and relabelled.info["scf_converged"]


def scf_steps(path) -> int:
    return sum(int(n) for n in re.findall(r"SCF run converged in\s+(\d+) steps", path.read_text()))


def test_a_batch_starts_each_scf_from_the_frame_before(tiny, xtb, serial, tmp_path):
    frames = []
    for k in range(3):
        frame = tiny.copy()
        frame.positions[1] += [0.03 * k, -0.02 * k, 0.0]
        frame.info.update(frame_id=f"R:{k}", run="R", step=k)
        frames.append(frame)
    accepted, quarantined = label_batch(frames, xtb, serial, tmp_path / "batch", GATE)
    assert len(accepted) == 3 and not quarantined
    steps = [tmp_path / f"batch/R/step0000000{k}" for k in range(3)]
    assert not (steps[0] / "guess.wfn").exists()
    for step in steps[1:]:
        assert (step / "guess.wfn").exists()
        assert "SCF_GUESS RESTART" in (step / "cp2k.inp").read_text()
    # the same labels as from CP2K's own guess, in fewer SCF steps
    for k in (1, 2):
        reference = single_point(frames[k], xtb, serial, tmp_path / f"ref{k}", stress=True)
        got = accepted[k]
        assert got.get_potential_energy() == pytest.approx(
            reference.get_potential_energy(), abs=1e-5
        )
        np.testing.assert_allclose(got.get_forces(), reference.get_forces(), atol=1e-4)
        np.testing.assert_allclose(got.get_stress(), reference.get_stress(), atol=1e-5)
        assert scf_steps(steps[k] / "cp2k.out") < scf_steps(tmp_path / f"ref{k}/cp2k.out")
    # another batching reuses the outcome that was computed with a guess
    stamp = (steps[2] / "cp2k.out").stat().st_mtime_ns
    (again,), _ = label_batch([frames[2]], xtb, serial, tmp_path / "batch", GATE)
    assert (steps[2] / "cp2k.out").stat().st_mtime_ns == stamp
    assert again.get_potential_energy() == accepted[2].get_potential_energy()


def test_a_guess_cp2k_cannot_use_falls_back_to_its_own(tiny, xtb, serial, tmp_path):
    garbage = tmp_path / "garbage.wfn"
    garbage.write_bytes(b"not a wavefunction" * 100)
    tiny.info.update(frame_id="R:0", run="R", step=0)
    result = compute_label(tiny, xtb, serial, tmp_path / "f", True, guess=garbage)
    assert result.info["scf_converged"]
    assert "SCF_GUESS RESTART" not in (tmp_path / "f/cp2k.inp").read_text()
    reference = single_point(tiny, xtb, serial, tmp_path / "ref", stress=True)
    assert result.get_potential_energy() == pytest.approx(reference.get_potential_energy())


def test_a_site_cp2k_under_another_name_is_found_and_tested(tmp_path):
    # a wrapper named like a module's CP2K, given once in the environment: the suite runs
    # the CP2K tests with it instead of skipping them, and configs launch it
    import os
    import subprocess
    import sys

    from .conftest import REPO

    wrapper = tmp_path / "site-cp2k"
    wrapper.write_text('#!/bin/sh\nexec mpirun.openmpi --bind-to none -np 1 cp2k.psmp "$@"\n')
    wrapper.chmod(0o755)

    def suite(command: str) -> str:
        env = {**os.environ, "MOFGLASS_CP2K_COMMAND": command}
        test = "tests/test_cp2k_real.py::test_cp2k_that_dies_without_a_message_stops_the_job"
        out = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", test],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        return out.stdout

    assert "1 passed" in suite(str(wrapper))
    skipped = suite(str(tmp_path / "absent-cp2k"))
    assert "1 skipped" in skipped and "absent-cp2k --version" in skipped
    probe = (
        "from mofglass.config import validate_config; import yaml; "
        "c = yaml.safe_load(open('config/tiny.yaml')); "
        "validate_config(c, 'workflow/schemas/config.schema.yaml'); print(c['cp2k']['command'])"
    )
    env = {**os.environ, "MOFGLASS_CP2K_COMMAND": str(wrapper)}
    printed = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert printed.stdout.strip() == str(wrapper), printed.stderr
