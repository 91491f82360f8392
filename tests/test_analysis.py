"""Structural analysis against cases with known answers, and the stability watch."""

from __future__ import annotations

import ase.io
import numpy as np
import pytest
from ase import Atoms

from mofglass import analysis
from mofglass.structures import load_structure


@pytest.fixture(scope="module")
def zif4():
    return load_structure("builtin:ZIF-4")


def test_rdf_of_an_ideal_gas_tends_to_one():
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(5):
        n = 3000
        atoms = Atoms(
            ["Zn"] * (n // 3) + ["N"] * (2 * n // 3),
            positions=rng.uniform(0, 30.0, (n, 3)),
            cell=[30.0] * 3,
            pbc=True,
        )
        frames.append(atoms)
    r, g = analysis.partial_rdf(frames, "Zn", "N", r_max=10.0, n_bins=20)
    assert np.abs(g[r > 3.0] - 1.0).max() < 0.06
    r, g = analysis.partial_rdf(frames, "N", "N", r_max=10.0, n_bins=20)
    assert np.abs(g[r > 3.0] - 1.0).max() < 0.06


def test_zif4_crystal_coordination_and_first_peak(zif4):
    summary = analysis.coordination_summary([zif4])
    assert summary["zn_n_coordination"] == pytest.approx(4.00)
    assert summary["fraction_cn4"] == 1.0
    r, g = analysis.partial_rdf([zif4], "Zn", "N", r_max=7.5, n_bins=300)
    assert r[np.argmax(g)] == pytest.approx(2.02, abs=0.02)  # Zn-N 2.014-2.037 Å
    f = analysis.pmf(r, g, 300.0)
    assert np.nanmin(f) == 0.0 and f[np.argmax(g)] == 0.0
    assert analysis.density(zif4) == pytest.approx(1.210, abs=0.001)


def test_the_pmf_is_minus_rt_ln_g_in_kj_per_mol_at_the_given_temperature():
    r = np.array([2.0, 2.1, 2.2, 2.3])
    g = np.array([2.0, 2.0 / np.e, 2.0 / np.e**2, 0.0])  # peak 2, then 1 and 2 RT above it
    for temperature in (300.0, 1500.0):
        rt = 8.314462618e-3 * temperature  # kJ/mol, CODATA 2018 gas constant
        f = analysis.pmf(r, g, temperature)
        np.testing.assert_allclose(f[:3], [0.0, rt, 2 * rt], rtol=1e-6)
        assert np.isnan(f[3])  # g = 0: no free energy, not infinity
    # at 1500 K the same g gives a well five times deeper than at 300 K
    assert analysis.pmf(r, g, 1500.0)[2] == pytest.approx(5 * analysis.pmf(r, g, 300.0)[2])


def test_angles_of_a_perfect_tetrahedron():
    directions = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / np.sqrt(3)
    atoms = Atoms(
        "ZnN4",
        positions=np.vstack([[5, 5, 5], 5 + 2.0 * directions]),
        cell=[10, 10, 10],
        pbc=True,
    )
    angles = analysis.bond_angles(atoms)
    assert len(angles) == 6
    np.testing.assert_allclose(angles, np.degrees(np.arccos(-1 / 3)), atol=1e-10)


def test_zif4_crystal_rings_are_4_6_and_8_membered(zif4):
    rings = analysis.rings(zif4)
    assert set(rings) == {4, 6, 8}
    bridges = analysis.bridging_angles(zif4)
    # one per imidazolate; at the N-N midpoint the crystal spans 147-154 deg
    assert len(bridges) == 32 and 145 < bridges.min() and bridges.max() < 156
    assert len(analysis.linkers(zif4)) == 32
    # the same counts per cell from an explicit 2x2x2 supercell
    bigger = analysis.rings(zif4.repeat((2, 2, 2)), min_width=0.0)
    assert {n: c / 8 for n, c in bigger.items()} == rings


def test_zif4_crystal_pore_volume(zif4):
    # Castel et al. report 54 cm3/kg (Zeo++, 1.2 Å helium probe)
    assert analysis.pore_volume(zif4) == pytest.approx(54.0, abs=3.0)


def test_pore_volume_in_a_process_that_loaded_lammps(zif4):
    # liblammps's own voro++ used to capture pyzeo's calls: std::bad_alloc, tens of GB
    from mofglass.lammps import new_lammps

    new_lammps().close()
    assert analysis.pore_volume(zif4) == pytest.approx(54.0, abs=3.0)


def test_ab_initio_glasses_as_published(shared):
    files = sorted((shared / "data/structures/glasses/abinitio_Gaillac2020").glob("*.cif"))
    assert len(files) == 10
    frames = [ase.io.read(f) for f in files]
    summary = analysis.coordination_summary(frames)
    assert summary["zn_n_coordination"] == pytest.approx(3.93, abs=0.005)
    angles = np.concatenate([analysis.bond_angles(a) for a in frames])
    assert angles.mean() == pytest.approx(109.5, abs=0.3)
    assert angles.std() == pytest.approx(9.0, abs=0.6)
    rings = analysis.rings(frames[1])
    assert set(rings) - {4, 6, 8}  # a glass has odd and larger rings


def test_mof5_is_analysed_as_zn_o_without_rings():
    """MOF-5 through the same analysis: every Zn on four O of a near-perfect
    tetrahedron (the Zn4O node), Zn-O RDFs, and no metal-linker-metal angle or ring (a
    terephthalate binds two Zn of one node through one carboxylate)."""
    from mofglass.structures import load_structure

    mof5 = load_structure("builtin:MOF-5")
    settings = {
        "rdf": {"r_max_A": 6.0, "bins": 60, "pairs": None},
        "rings": {"max_zn": 8, "frames": 1},
        "pores": {"frames": 0, "probe_radius_A": 1.2, "samples": 100},
    }
    result = analysis.analyse([mof5], settings, 300.0, independent=True)
    summary = result["summary"].set_index("quantity")
    assert summary.loc["zn_o_coordination", "value"] == 4.0
    # O-Zn-O: three carboxylate O and the μ4-O around each Zn, about tetrahedral
    assert abs(summary.loc["o_zn_o_angle_mean", "value"] - 109.47) < 3.0
    assert not any(q.startswith(("rings_", "zn_bdc_zn")) for q in summary.index)
    assert list(result["rdf"].columns) == ["r_A", "g_Zn_O", "g_Zn_Zn", "g_O_O"]
    density = mof5.get_masses().sum() / mof5.get_volume() * 1.66053906660
    assert summary.loc["density", "value"] == pytest.approx(density)
    assert abs(density - 0.593) < 0.002  # the experimental cell (../shared README)
