"""CBAD coverage selection: typed descriptors from connectivity, and the greedy rule."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import molecule
from hypothesis import given, settings
from hypothesis import strategies as st

from mofglass import chemistry
from mofglass.atomicio import write_frames
from mofglass.cbad import Coverage, Resolution, Topology, pool_keys, select_frames
from mofglass.structures import load_structure

keysets = st.lists(
    st.lists(st.integers(0, 40), min_size=1, max_size=8, unique=True), min_size=1, max_size=40
)


@settings(max_examples=300, deadline=None)
@given(keysets, st.one_of(st.none(), st.integers(0, 10)))
def test_a_frame_is_accepted_if_and_only_if_it_brings_a_new_bin(frames, cap):
    coverage = Coverage(type_names=["bond X-Y"], type_kinds=["bond"])
    type_ids = np.arange(1)  # every key below is "type 0, bin k"
    keyed = [(np.array(sorted(f), dtype=np.int64), type_ids) for f in frames]
    accepted, added = select_frames(coverage, keyed, max_accept=cap)
    seen: set[int] = set()
    expected = []
    for position, keys in enumerate(frames):
        if set(keys) - seen and (cap is None or len(expected) < cap):
            expected.append(position)
            seen |= set(keys)
    assert accepted == expected
    assert [bool(a) for a in added] == [p in expected for p in range(len(frames))]
    # visited counts every offered frame, accepted or not
    assert coverage.visited == {k for f in frames for k in f}
    if cap is None:
        assert coverage.seen == coverage.visited


def rattled(atoms, n, sigma, seed):
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n):
        frame = atoms.copy()
        frame.positions += rng.normal(0.0, sigma, frame.positions.shape)
        frames.append(frame)
    return frames


@pytest.fixture(scope="module")
def ethanol_frames():
    atoms = molecule("CH3CH2OH")
    atoms.center(vacuum=5.0)
    atoms.pbc = True
    return atoms, rattled(atoms, 60, 0.06, 1)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 5), st.floats(0.01, 0.1), st.integers(0, 1000))
def test_a_coarser_resolution_never_selects_more_frames(ethanol_frames, factor, bond, seed):
    atoms, frames = ethanol_frames
    order = np.random.default_rng(seed).permutation(len(frames))
    topology = Topology.from_atoms(atoms)
    fine = Resolution(bond_A=bond, angle_deg=2.0, dihedral_deg=5.0)
    coarse = Resolution(bond_A=bond * factor, angle_deg=2.0 * factor, dihedral_deg=5.0 * factor)
    counts = []
    for resolution in (fine, coarse):
        coverage = Coverage(resolution)
        type_ids = coverage.register(topology)
        keyed = [(topology.keys(frames[i], resolution), type_ids) for i in order]
        counts.append(len(select_frames(coverage, keyed)[0]))
    assert counts[1] <= counts[0]


def test_types_come_from_connectivity(ethanol_frames):
    atoms, _ = ethanol_frames
    topology = Topology.from_atoms(atoms)
    assert len(topology.bonds) == 8  # C-C, C-O, O-H, 5 C-H
    assert "bond C(CHHH)-C(CHHO)" in topology.types
    assert "bond H[O(CH)]-O(CH)" in topology.types  # H typed by its partner
    assert "angle C(CHHH)-C(CHHO)-O(CH)" in topology.types
    assert "dihedral C(CHHH)-C(CHHO)-O(CH)-H[O(CH)]" in topology.types
    assert topology.counts() == {
        "cell_length": 3,
        "cell_angle": 3,
        "bond": 5,  # C-C, C-O, O-H, and H on the methyl and on the methylene carbon
        "angle": 7,
        "dihedral": 4,  # H-C-C-H, H-C-C-O, C-C-O-H, H-C-O-H
    }


def test_zif4_descriptors():
    atoms = load_structure("builtin:ZIF-4")
    topology = Topology.from_atoms(atoms)
    # 16 Zn with 4 N each; 32 imidazolates with 8 bonds each
    assert len(topology.bonds) == 16 * 4 + 32 * 8
    assert "bond N(CCZn)-Zn(NNNN)" in topology.types
    values = topology.values(atoms)
    zn_n = topology.bond_type == topology.types.index("bond N(CCZn)-Zn(NNNN)")
    assert 1.9 < values["bond"][zn_n].min() and values["bond"][zn_n].max() < 2.1
    n_zn_n = topology.angle_type == topology.types.index("angle N(CCZn)-Zn(NNNN)-N(CCZn)")
    assert values["angle"][n_zn_n].mean() == pytest.approx(109.4, abs=1.0)
    assert values["dihedral"].min() >= 0 and values["dihedral"].max() <= 180


def test_mof5_descriptors_use_sharma_and_sanvitos_seven_atom_types():
    """Typed as papers.md B: Zn, the μ4-O, the carboxylate O and C, the ring's ipso and
    CH carbons, and H."""
    atoms = load_structure("builtin:MOF-5")
    found = chemistry.derive(atoms)
    topology = Topology.from_atoms(atoms, metal_cutoffs=found.bond_cutoffs_A)
    names = {
        label
        for name in topology.types
        if name.startswith("bond ")
        for label in name.removeprefix("bond ").split("-")
    }
    assert names == {
        "Zn(OOOO)",
        "O(ZnZnZnZn)",
        "O(CZn)",
        "C(COO)",
        "C(CCC)",
        "C(CCH)",
        "H[C(CCH)]",
    }
    n_zn = atoms.get_chemical_symbols().count("Zn")
    n_bdc = 3 * n_zn // 4
    # Zn-O: 4 per Zn; per BDC 2 C-O2, 6 ring C-C, 2 C-C(O2) and 4 C-H
    assert len(topology.bonds) == 4 * n_zn + n_bdc * (4 + 6 + 2 + 4)


def test_metal_bonds_are_the_chemistrys():
    """Only the chemistry's metal-donor pairs bond: a Zn pushed within 2.3 Å of a C
    (bonded at the 1.3 x radii default, 2.6 Å) stays unbonded to it under Zn-N only."""
    atoms = load_structure("builtin:ZIF-4")
    symbols = np.array(atoms.get_chemical_symbols())
    zn, carbon = np.flatnonzero(symbols == "Zn")[0], np.flatnonzero(symbols == "C")[0]
    vector = atoms.get_distance(zn, carbon, mic=True, vector=True)
    atoms.positions[carbon] -= vector * (1 - 2.3 / np.linalg.norm(vector))
    pair = sorted((int(zn), int(carbon)))
    default = Topology.from_atoms(atoms)
    assert pair in default.bonds.tolist()
    gated = Topology.from_atoms(atoms, metal_cutoffs={"Zn-N": 2.5})
    assert pair not in gated.bonds.tolist()
    partners = [j for b in gated.bonds.tolist() if zn in b for j in b if j != zn]
    assert sorted(symbols[partners]) == ["N"] * 4


def test_keys_do_not_depend_on_wrapping_or_translation():
    atoms = load_structure("builtin:ZIF-4")
    topology = Topology.from_atoms(atoms)
    moved = atoms.copy()
    moved.translate([3.1, -7.7, 11.3])
    moved.positions[::5] += moved.cell[0]  # some atoms a whole cell away
    resolution = Resolution()
    np.testing.assert_array_equal(
        topology.keys(atoms, resolution), topology.keys(moved, resolution)
    )
    moved.wrap()
    np.testing.assert_array_equal(
        topology.keys(atoms, resolution), topology.keys(moved, resolution)
    )


def test_frames_of_another_structure_are_refused(ethanol_frames, tiny):
    atoms, _ = ethanol_frames
    with pytest.raises(ValueError, match="not the same structure"):
        Topology.from_atoms(atoms).keys(tiny, Resolution())


def test_seeded_bins_are_not_selected_again(ethanol_frames):
    """Inside active learning: frames already labelled seed the coverage."""
    atoms, frames = ethanol_frames
    topology = Topology.from_atoms(atoms)
    coverage = Coverage()
    type_ids = coverage.register(topology)
    for frame in frames[:30]:
        coverage.seed(coverage.globalise(topology.keys(frame, coverage.resolution), type_ids))
    again = [(topology.keys(f, coverage.resolution), type_ids) for f in frames[:30]]
    assert select_frames(coverage, again)[0] == []


def test_pool_keys_in_parallel_match_serial(tmp_path, ethanol_frames):
    atoms, frames = ethanol_frames
    path = tmp_path / "t.extxyz"
    write_frames(path, [atoms, *frames])
    wanted = list(range(1, 61, 2))
    resolution = Resolution()
    serial = pool_keys([(str(path), wanted)], resolution, processes=1, chunk_frames=7)
    parallel = pool_keys([(str(path), wanted)], resolution, processes=2, chunk_frames=7)
    assert [f for r in serial for f in r.frames] == wanted
    for a, b in zip(serial, parallel, strict=True):
        assert a.frames == b.frames
        for x, y in zip(a.keys, b.keys, strict=True):
            np.testing.assert_array_equal(x, y)
    topology = Topology.from_atoms(atoms)
    np.testing.assert_array_equal(serial[0].keys[0], topology.keys(frames[0], resolution))
