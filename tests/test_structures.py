"""Structures: the built-in ZIF-4 against the published cell, user files, bad input."""

from __future__ import annotations

import ase.io
import numpy as np
import pytest
import spglib
from ase import Atoms
from ase.geometry import get_distances
from ase.neighborlist import neighbor_list

from mofglass.structures import (
    StructureError,
    builtin_crystal,
    builtin_names,
    load_structure,
    scale_volume,
    supercell,
)

CIF_HEADER = """data_test
_cell_length_a 8
_cell_length_b 8
_cell_length_c 8
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'P 1'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
"""


def matched_within(ours: Atoms, ref: Atoms, tol: float) -> float | None:
    """Largest atom-to-atom distance (Å) of the best one-to-one same-element match of
    ``ours`` onto ``ref`` over origin choices (translations mapping a Zn onto a Zn),
    or None if no origin matches every atom within ``tol``."""
    zn_ours = np.flatnonzero(ours.numbers == 30)[0]
    best = None
    for zn_ref in np.flatnonzero(ref.numbers == 30):
        shifted = ours.positions + ref.positions[zn_ref] - ours.positions[zn_ours]
        _, d = get_distances(shifted, ref.positions, cell=ref.cell, pbc=True)
        d = np.where(ours.numbers[:, None] == ref.numbers[None, :], d, np.inf)
        nearest = d.argmin(axis=1)
        if len(set(nearest)) != len(ours):  # not one-to-one
            continue
        worst = float(d.min(axis=1).max())
        if worst < tol and (best is None or worst < best):
            best = worst
    return best


def test_builtin_zif4_matches_lewis_2009_cif(shared):
    ref = ase.io.read(shared / "data/structures/crystals/ZIF-4_Lewis2009_P1.cif")
    ours = load_structure("builtin:ZIF-4")
    assert ours.get_chemical_formula() == ref.get_chemical_formula() == "C96H96N64Zn16"
    np.testing.assert_allclose(ours.cell.cellpar(), ref.cell.cellpar(), atol=2e-3)
    worst = matched_within(ours, ref, tol=0.05)
    assert worst is not None, "no choice of origin matches every atom within 0.05 Å"
    assert worst < 0.05


def test_builtin_zif4_is_pbca_with_tetrahedral_zinc():
    atoms = builtin_crystal("ZIF-4")
    dataset = spglib.get_symmetry_dataset(
        (atoms.cell[:], atoms.get_scaled_positions(), atoms.numbers), symprec=0.01
    )
    assert dataset.international == "Pbca" and dataset.number == 61
    i, j = neighbor_list("ij", atoms, {("Zn", "N"): 2.5})
    zn = np.flatnonzero(atoms.numbers == 30)
    coordination = np.bincount(i[np.isin(i, zn) & (atoms.numbers[j] == 7)], minlength=len(atoms))
    assert (coordination[zn] == 4).all()
    density = atoms.get_masses().sum() / atoms.get_volume() * 1.66053906660  # g/cm3
    assert density == pytest.approx(1.210, abs=0.002)  # papers.md: ρ 1.210


def test_builtin_zni_matches_widmer_2019_cif_and_is_i41cd(shared):
    ref = ase.io.read(
        shared / "data/structures/crystals/ZIF-zni_Widmer2019_FixedCell_conventional.cif"
    )
    ours = load_structure("builtin:ZIF-zni")
    assert ours.get_chemical_formula() == ref.get_chemical_formula() == "C192H192N128Zn32"
    np.testing.assert_allclose(ours.cell.cellpar(), ref.cell.cellpar(), atol=2e-3)
    worst = matched_within(ours, ref, tol=0.05)
    assert worst is not None and worst < 0.05
    dataset = spglib.get_symmetry_dataset(
        (ours.cell[:], ours.get_scaled_positions(), ours.numbers), symprec=0.01
    )
    assert dataset.number == 110
    i, j = neighbor_list("ij", ours, {("Zn", "N"): 2.5})
    zn = np.flatnonzero(ours.numbers == 30)
    coordination = np.bincount(i[np.isin(i, zn) & (ours.numbers[j] == 7)], minlength=len(ours))
    assert (coordination[zn] == 4).all()
    assert len(neighbor_list("d", ours, 0.9)) == 0


@pytest.mark.parametrize(
    ("name", "cif", "formula", "number", "primitive_atoms"),
    [
        ("ZIF-8", "ZIF-8_Gaillac2018_cp2k-input_conventional.cif", "C96H120N48Zn12", 217, 138),
        ("MOF-5", "MOF-5_IRMOF-1_expt_RASPA3.cif", "C192H96O104Zn32", 225, 106),
    ],
)
def test_builtin_zif8_and_mof5_match_their_cifs(
    shared, name, cif, formula, number, primitive_atoms
):
    ref = ase.io.read(shared / "data/structures/crystals" / cif)
    ours = load_structure(f"builtin:{name}", cell="conventional", hydrogens="as_given")
    assert ours.get_chemical_formula() == ref.get_chemical_formula() == formula
    np.testing.assert_allclose(ours.cell.cellpar(), ref.cell.cellpar(), atol=2e-3)
    worst = matched_within(ours, ref, tol=0.05)
    assert worst is not None and worst < 0.05
    dataset = spglib.get_symmetry_dataset(
        (ours.cell[:], ours.get_scaled_positions(), ours.numbers), symprec=0.01
    )
    assert dataset.number == number
    # runs use the primitive cell: a quarter (F) or half (I) of the atoms, same crystal
    primitive = load_structure(f"builtin:{name}", hydrogens="as_given")
    assert len(primitive) == primitive_atoms
    assert primitive.symbols.formula.reduce()[0] == ours.symbols.formula.reduce()[0]
    assert primitive.get_volume() * len(ours) / len(primitive) == pytest.approx(ours.get_volume())
    # every primitive atom sits on a conventional site of its own element
    _, d = get_distances(primitive.positions, ours.positions, cell=ours.cell, pbc=True)
    d = np.where(primitive.numbers[:, None] == ours.numbers[None, :], d, np.inf)
    assert d.min(axis=1).max() < 1e-4


def test_primitive_cell_leaves_a_primitive_crystal_alone():
    zif4 = load_structure("builtin:ZIF-4")
    assert len(load_structure("builtin:ZIF-4", cell="primitive")) == len(zif4)  # Pbca is P
    with pytest.raises(StructureError, match="unknown cell 'rhombic'"):
        load_structure("builtin:ZIF-4", cell="rhombic")


def test_builtin_names_and_unknown_name():
    assert "ZIF-4" in builtin_names()
    with pytest.raises(StructureError, match="no built-in crystal named 'ZIF-99'"):
        load_structure("builtin:ZIF-99")


def test_user_cif_and_extxyz_load_like_the_builtin(tmp_path):
    builtin = load_structure("builtin:ZIF-4")
    for suffix in ("cif", "extxyz"):
        path = tmp_path / f"zif4.{suffix}"
        ase.io.write(path, builtin)
        loaded = load_structure(str(path))
        assert loaded.get_chemical_symbols() == builtin.get_chemical_symbols()
        np.testing.assert_allclose(loaded.positions, builtin.positions, atol=1e-4)
        np.testing.assert_allclose(loaded.cell[:], builtin.cell[:], atol=1e-4)


def test_reference_crystals_load(shared):
    for path in sorted((shared / "data/structures/crystals").glob("*.cif")):
        atoms = load_structure(str(path))
        assert len(atoms) > 100, path.name


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("this is not a CIF\n", "cannot be read as CIF"),
        ("data_x\n_cell_length_a 5\nloop_\n_atom_site_label\nC1\n", "no structure"),
        (CIF_HEADER + "Xq1 Xq 0.1 0.1 0.1\nC1 C 0.5 0.5 0.5\n", "unknown chemical element.*Xq"),
        (CIF_HEADER + "C1 C 0.5 0.5 0.5\nC2 C 0.51 0.5 0.5\n", "overlapping atom pair.*0.080 Å"),
    ],
    ids=["garbage", "no-atoms", "unknown-element", "overlap"],
)
def test_bad_cif_gets_a_clear_error(tmp_path, text, match):
    path = tmp_path / "bad.cif"
    path.write_text(text)
    with pytest.raises(StructureError, match=match):
        load_structure(str(path))


def test_partial_occupancy_is_refused(tmp_path):
    path = tmp_path / "disordered.cif"
    text = CIF_HEADER.replace("_atom_site_fract_z\n", "_atom_site_fract_z\n_atom_site_occupancy\n")
    path.write_text(text + "O1 O 0.1 0.1 0.1 0.5\nC1 C 0.5 0.5 0.5 1.0\n")
    with pytest.raises(StructureError, match="partially occupied"):
        load_structure(str(path))


def test_missing_file_unknown_format_nonperiodic_and_multiframe(tmp_path, tiny):
    with pytest.raises(StructureError, match="not found"):
        load_structure(str(tmp_path / "nope.cif"))
    (tmp_path / "x.pdb").write_text("")
    with pytest.raises(StructureError, match="unknown structure format"):
        load_structure(str(tmp_path / "x.pdb"))
    molecule = tiny.copy()
    molecule.pbc = False
    ase.io.write(tmp_path / "mol.extxyz", molecule)
    with pytest.raises(StructureError, match="not periodic"):
        load_structure(str(tmp_path / "mol.extxyz"))
    ase.io.write(tmp_path / "two.extxyz", [tiny, tiny])
    with pytest.raises(StructureError, match="2 structures"):
        load_structure(str(tmp_path / "two.extxyz"))


def test_supercell_and_volume_scaling(tiny):
    big = supercell(tiny, (1, 2, 3))
    assert len(big) == 6 * len(tiny)
    np.testing.assert_allclose(big.cell.lengths(), tiny.cell.lengths() * [1, 2, 3])
    for scale in (0.9, 1.0, 1.15):
        scaled = scale_volume(tiny, scale)
        assert scaled.get_volume() == pytest.approx(scale * tiny.get_volume(), rel=1e-12)
        np.testing.assert_allclose(
            scaled.get_scaled_positions(), tiny.get_scaled_positions(), atol=1e-12
        )
        np.testing.assert_allclose(scaled.cell.angles(), tiny.cell.angles())
    for bad in ((1, 1), (0, 1, 1)):
        with pytest.raises(ValueError):
            supercell(tiny, bad)
    with pytest.raises(ValueError):
        scale_volume(tiny, -1.0)


def test_builtin_expansion_puts_no_atom_on_another():
    """Nothing closer than 0.9 Å (the shortest bond, C-H, is 0.93 Å in this model)."""
    d = neighbor_list("d", builtin_crystal("ZIF-4"), 0.9)
    assert len(d) == 0


def test_mof5_xray_hydrogens_are_normalised_to_the_neutron_length():
    """MOF-5's X-ray C-H (0.93 Å) becomes 1.083 Å (Allen & Bruno 2010) along the same
    bond; every other atom stays where it was; ZIF-4's H are left as given."""
    given = load_structure("builtin:MOF-5", hydrogens="as_given")
    used = load_structure("builtin:MOF-5")
    h = np.flatnonzero(given.numbers == 1)
    heavy = np.flatnonzero(given.numbers != 1)
    np.testing.assert_allclose(used.positions[heavy], given.positions[heavy], atol=1e-12)
    for k in h:
        _, d = get_distances(given.positions[k], given.positions[heavy], given.cell, True)
        carbon = heavy[np.argmin(d)]
        before = given.get_distance(carbon, k, mic=True, vector=True)
        after = used.get_distance(carbon, k, mic=True, vector=True)
        assert np.linalg.norm(before) == pytest.approx(0.927, abs=0.002)
        assert np.linalg.norm(after) == pytest.approx(1.083, abs=1e-9)
        np.testing.assert_allclose(after / 1.083, before / np.linalg.norm(before), atol=1e-9)
    zif4 = load_structure("builtin:ZIF-4")
    assert np.array_equal(zif4.positions, builtin_crystal("ZIF-4").positions)
