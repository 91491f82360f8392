"""CP2K output readers and the error paths around them (synthetic files, no CP2K)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.units import Bohr, GPa, Hartree, fs

from mofglass.aimd import thermo_table
from mofglass.cp2k.outputs import (
    CP2KOutputError,
    force_evaluations,
    read_forces_file,
    read_md_stress,
    read_stress_tensor_file,
    read_xyz_frames,
    static_stress,
)
from mofglass.cp2k.run import CP2KError, abort_message
from mofglass.frames import attach_results, frame_problem
from mofglass.labels import QualityGate, gate_problem
from mofglass.plan import AIMDRun
from mofglass.pool import build_pool

ENERGY_LINE = " ENERGY| Total FORCE_EVAL ( QS ) energy [a.u.]:             {:.12f}\n"
NOT_CONVERGED = " *** WARNING in qs_scf.F:601 :: SCF run NOT converged ***\n"


def test_force_evaluations_track_scf_convergence_per_step():
    text = (
        "  outer SCF loop converged in 4 iterations\n"
        + ENERGY_LINE.format(-29.5)
        + "  outer SCF loop FAILED to converge after 2 iterations\n"
        + NOT_CONVERGED
        + ENERGY_LINE.format(-29.4)
        + ENERGY_LINE.format(-29.3)
    )
    evaluations = force_evaluations(text)
    assert [c for _, c in evaluations] == [True, False, True]
    np.testing.assert_allclose(
        [e for e, _ in evaluations], np.array([-29.5, -29.4, -29.3]) * Hartree
    )


ABORT_BOX = """\
 *******************************************************************************
 *   ___                                                                       *
 *  /   \\                                                                      *
 * [ABORT]                                                                     *
 *  \\___/                SCF run NOT converged, stopping here.                 *
 *    |                                                                        *
 *  O/|                                                                        *
 * /| |                                                                        *
 * / \\                                                            qs_scf.F:542 *
 *******************************************************************************
"""


def test_abort_message_is_extracted():
    """The box exactly as CP2K 2023.1 prints it (copied from a real abort)."""
    text = "output before\n" + ABORT_BOX + "\n ===== Routine Calling Stack =====\n"
    assert abort_message(text) == "SCF run NOT converged, stopping here. (qs_scf.F:542)"
    assert abort_message("all fine\n" + "*" * 79 + "\n") == ""


def test_only_aborts_caused_by_the_frame_count_as_physics():
    scf = CP2KError("failed", Path("."), abort_message(ABORT_BOX))
    assert scf.physical
    missing = CP2KError("failed", Path("."), "Coordinate file <x.xyz> not found (topology.F:9)")
    assert not missing.physical
    assert not CP2KError("killed", Path("."), "").physical


FORCES = """
 ATOMIC FORCES in [a.u.]

 # Atom   Kind   Element          X              Y              Z
      1      1      Zn         -0.01278615    -0.02387151     0.00326621
      2      2      N          -0.01388146     0.00781325    -0.00503936
 SUM OF ATOMIC FORCES          -0.00000000    -0.00000000    -0.00000000     0.00000000
"""


def test_forces_file_in_ev_per_angstrom(tmp_path):
    path = tmp_path / "f.xyz"
    path.write_text(FORCES)
    symbols, forces = read_forces_file(path)
    assert symbols == ["Zn", "N"]
    assert forces[0, 0] == pytest.approx(-0.01278615 * Hartree / Bohr)
    path.write_text(FORCES.split(" SUM")[0])  # truncated table
    with pytest.raises(CP2KOutputError, match="no complete force table"):
        read_forces_file(path)


def test_stress_file_gets_ase_sign(tmp_path):
    path = tmp_path / "s.stress_tensor"
    path.write_text(
        " STRESS| Analytical stress tensor [GPa]\n"
        " STRESS|                        x                   y                   z\n"
        " STRESS|      x        1.0E+00   2.0E-01   0.0E+00\n"
        " STRESS|      y        2.0E-01   1.0E+00   0.0E+00\n"
        " STRESS|      z        0.0E+00   0.0E+00   1.0E+00\n"
    )
    sigma = read_stress_tensor_file(path)
    # CP2K's +1 GPa is a compressed cell (positive pressure): ASE's stress is -1 GPa.
    assert sigma[0, 0] == pytest.approx(-1.0 * GPa)
    assert sigma[0, 1] == pytest.approx(-0.2 * GPa)
    path.write_text(" STRESS| Analytical stress tensor [GPa]\n")
    with pytest.raises(CP2KOutputError):
        read_stress_tensor_file(path)


def test_truncated_xyz_frame_is_detected(tmp_path):
    path = tmp_path / "pos.xyz"
    frame = "2\n i =        {}, time =        0.500, E =  -29.49\n H 0 0 0\n H 0 0 0.74\n"
    path.write_text(frame.format(0) + frame.format(1))
    frames = read_xyz_frames(path)
    assert [f.step for f in frames] == [0, 1] and frames[1].energy == pytest.approx(
        -29.49 * Hartree
    )
    path.write_text(frame.format(0) + frame.format(1)[:-12])  # killed mid-write
    with pytest.raises(CP2KOutputError, match="truncated"):
        read_xyz_frames(path)


def test_md_stress_and_kinetic_part(tmp_path):
    path = tmp_path / "md-1.stress"
    path.write_text(
        "#   Step   Time [fs]  xx ...\n       0   0.000 " + " ".join(["100.0"] * 9) + "\n"
    )
    pressure = read_md_stress(path)[0]
    # Two atoms moving along x: the kinetic tensor is m v^2 / V in xx only.
    masses, v, volume = np.array([1.0, 4.0]), np.array([[0.01, 0, 0], [-0.005, 0, 0]]), 50.0
    kinetic_xx = (1.0 * 0.01**2 + 4.0 * 0.005**2) / fs**2 / volume
    sigma = static_stress(pressure, masses, v, volume)
    assert sigma[0, 0] == pytest.approx(-(pressure[0, 0] - kinetic_xx))
    assert sigma[1, 1] == pytest.approx(-pressure[1, 1])


def frame(forces, stress=None, converged=True):
    atoms = Atoms("H2", positions=[[0, 0, 0], [0, 0, 0.74]], cell=[5, 5, 5], pbc=True)
    attach_results(atoms, -1.0, np.array(forces, dtype=float), stress)
    atoms.info.update(scf_converged=converged, step=4, run="r")
    return atoms


def test_quality_gate_rejects_bad_frames():
    gate = QualityGate(max_force_eV_per_A=10.0, max_stress_GPa=5.0)
    ok = frame([[0, 0, 1], [0, 0, -1]], np.zeros((3, 3)))
    assert gate_problem(ok, gate, stress=True) is None
    assert "SCF not converged" == gate_problem(
        frame([[0, 0, 1], [0, 0, -1]], np.zeros((3, 3)), converged=False), gate, True
    )
    assert "non-finite forces" == gate_problem(
        frame([[0, 0, np.nan], [0, 0, -1]], np.zeros((3, 3))), gate, True
    )
    assert "max force 20.00 eV/Å" in gate_problem(
        frame([[0, 0, 20], [0, 0, -20]], np.zeros((3, 3))), gate, True
    )
    assert "max |stress| 6.00 GPa" in gate_problem(
        frame([[0, 0, 1], [0, 0, -1]], np.eye(3) * 6 * GPa), gate, True
    )
    assert "no stress" in gate_problem(frame([[0, 0, 1], [0, 0, -1]]), gate, True)


def test_unusable_aimd_frames_never_reach_the_pool(tmp_path):
    frames = [frame([[0, 0, 1], [0, 0, -1]]) for _ in range(5)]
    frames.append(frame([[0, 0, 1], [0, 0, -1]], converged=False))
    frames.append(frame([[0, 0, np.nan], [0, 0, -1]]))
    for step, atoms in enumerate(frames):
        atoms.info.update(step=step, time_fs=step * 0.5, temperature_inst_K=300.0, conserved_eV=0.0)
    assert sum(frame_problem(f) is None for f in frames) == 5
    thermo = tmp_path / "thermo.tsv"
    thermo.write_text(thermo_table(frames))
    run = AIMDRun("X", 300.0, 1.0)
    pool = build_pool([(run, str(thermo), "trajectory.extxyz")], equilibration_steps=0)
    assert pool["step"].tolist() == [1, 2, 3, 4]
    assert pool["frame_id"].tolist() == [f"X/T300_V1.000:{s}" for s in (1, 2, 3, 4)]
    assert pool["frame"].tolist() == [1, 2, 3, 4]
    np.testing.assert_allclose(pool["energy_per_atom_eV"], pool["energy_eV"] / 2)


LONG_ABORT_BOX = """\
 *******************************************************************************
 *   ___                                                                       *
 *  /   \\                                                                      *
 * [ABORT]                                                                     *
 *  \\___/   found an unknown keyword IGNORE_CONVERGENCE_FAILURE in section SCF *
 *    |                                                                        *
 *  O/|                                                                        *
 * /| |                                                                        *
 * / \\                                               input/input_parsing.F:246 *
 *******************************************************************************
"""


def test_a_long_abort_message_keeps_its_first_letter():
    """CP2K 2023.1's box for an input it does not know (copied from a real abort)."""
    assert abort_message(LONG_ABORT_BOX) == (
        "found an unknown keyword IGNORE_CONVERGENCE_FAILURE in section SCF "
        "(input/input_parsing.F:246)"
    )


def test_inputs_for_cp2k_2024_and_later_keep_running_on_an_unconverged_scf(tiny):
    from cp2k_input_tools.parser import CP2KInputParserSimplified

    from mofglass.cp2k.levels import LevelOfTheory
    from mofglass.cp2k.run import for_version
    from mofglass.labels import single_point_input

    text = single_point_input(tiny, LevelOfTheory.from_config("x", {"method": "gfn1-xtb"}), True)
    assert for_version(text, (2023, 1)) == text and for_version(text, None) == text
    adapted = for_version(text, (2024, 1))

    def scf(source):
        parser = CP2KInputParserSimplified(key_trafo=str.lower)
        return parser.parse(io.StringIO(source))["force_eval"]["dft"]["scf"]

    assert scf(adapted)["ignore_convergence_failure"] is True
    assert "ignore_convergence_failure" not in scf(adapted)["outer_scf"]
    assert {k: v for k, v in scf(adapted).items() if k != "ignore_convergence_failure"} == scf(text)
    assert for_version(adapted, (2026, 1)) == adapted  # set once, never twice


def test_the_cp2k_version_is_read_from_the_command(tmp_path):
    from mofglass.cp2k.run import cp2k_version

    fake = tmp_path / "cp2k-2026"
    fake.write_text("#!/bin/sh\necho ' CP2K version 2026.1'\necho ' Source code revision x'\n")
    fake.chmod(0o755)
    assert cp2k_version(str(fake)) == (2026, 1)
    assert cp2k_version(str(tmp_path / "absent")) is None
