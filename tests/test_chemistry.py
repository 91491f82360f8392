"""Chemistry from the structure: each reference framework read the way its paper
describes it (metal coordination, linkers, atom types), overrides and bad input.

Expected values come from the formula unit of each framework, not from the code: a
Zn(L)2 ZIF has two linkers per Zn and four N on each Zn; MOF-5, Zn4O(BDC)3, has three
terephthalates and one μ4-O per four Zn, each Zn on four O; the atom types are counted
by hand per linker.
"""

from __future__ import annotations

from collections import Counter

import ase.io
import numpy as np
import pytest
from ase.neighborlist import neighbor_list

from mofglass import chemistry
from mofglass.structures import load_structure

#: Atom types per linker (or per formula unit), counted from the chemical drawings.
IM = {"C(HNN)": 1, "C(CHN)": 2, "H[C(HNN)]": 1, "H[C(CHN)]": 2, "N(CCZn)": 2}
MIM = {"C(CNN)": 1, "C(CHN)": 2, "C(CHHH)": 1, "H[C(CHN)]": 2, "H[C(CHHH)]": 3, "N(CCZn)": 2}
BDC = {"C(COO)": 2, "C(CCC)": 2, "C(CCH)": 4, "H[C(CCH)]": 4, "O(CZn)": 4}


def donors_on_each_metal(atoms, metal: str, donor: str, cutoff: float) -> np.ndarray:
    """Independent count with ASE's own neighbour list."""
    i, j = neighbor_list("ij", atoms, {(metal, donor): cutoff})
    symbols = np.array(atoms.get_chemical_symbols())
    keep = (symbols[i] == metal) & (symbols[j] == donor)
    return np.bincount(i[keep], minlength=len(atoms))[symbols == metal]


def zif_expectation(atoms, linker: str, per_linker: dict) -> dict:
    n_zn = atoms.get_chemical_symbols().count("Zn")
    n_linkers = 2 * n_zn
    types = {k: v * n_linkers for k, v in per_linker.items()} | {"Zn(NNNN)": n_zn}
    return {"linkers": {linker: n_linkers}, "types": types, "donor": "N"}


@pytest.mark.parametrize(
    ("source", "linker", "per_linker"),
    [
        ("builtin:ZIF-4", "C3H3N2", IM),
        ("builtin:ZIF-zni", "C3H3N2", IM),
        ("builtin:ZIF-8", "C4H5N2", MIM),
    ],
)
def test_zifs_read_as_zinc_imidazolates(source, linker, per_linker):
    atoms = load_structure(source)
    found = chemistry.derive(atoms)
    expected = zif_expectation(atoms, linker, per_linker)
    assert found.metals == ("Zn",) and found.donors == ("N",)
    assert found.linkers == expected["linkers"]
    assert found.atom_types == expected["types"]
    assert found.node_ligands == {}
    assert found.coordination == {"Zn": 4}
    assert (donors_on_each_metal(atoms, "Zn", "N", found.cutoff_A) == 4).all()
    assert found.cutoff_A == 2.5  # the first minimum of the Zn-N PMF (papers.md, A)
    assert found.coordination_range == (2, 6)  # the watch's ZIF range before this issue
    assert found.linker_bonds == (("C", "C"), ("C", "N"))
    assert found.rdf_pairs == (("Zn", "N"), ("Zn", "Zn"), ("N", "N"))
    assert found.bridging  # each imidazolate bridges two Zn through its two N
    assert found.linker_name in ("im", "mim")


def test_zif8_has_sharma_and_sanvitos_seven_atom_types():
    found = chemistry.derive(load_structure("builtin:ZIF-8"))
    assert len(found.atom_types) == 7  # papers.md B: "7 atom types"


def test_mof5_reads_as_zn4o_terephthalate():
    atoms = load_structure("builtin:MOF-5")
    found = chemistry.derive(atoms)
    n_zn = atoms.get_chemical_symbols().count("Zn")
    units = n_zn // 4  # Zn4O(BDC)3
    assert found.metals == ("Zn",) and found.donors == ("O",)
    assert found.linkers == {"C8H4O4": 3 * units}
    assert found.node_ligands == {"O": units}  # the μ4-O at the centre of each Zn4O
    expected = {k: v * 3 * units for k, v in BDC.items()}
    expected |= {"Zn(OOOO)": n_zn, "O(ZnZnZnZn)": units}
    assert found.atom_types == expected
    assert len(found.atom_types) == 7  # papers.md B
    assert found.coordination == {"Zn": 4}
    assert (donors_on_each_metal(atoms, "Zn", "O", found.cutoff_A) == 4).all()
    assert found.cutoff_A == 2.4  # Sharma & Sanvito's Zn-O wall (papers.md B)
    assert found.linker_bonds == (("C", "C"), ("C", "O"))
    assert not found.bridging  # a carboxylate binds two Zn of one node: no Zn-L-Zn rings
    assert found.linker_name == "bdc"


@pytest.mark.parametrize(
    ("path", "linker", "donor"),
    [
        ("ZIF-4_Lewis2009_P1.cif", "C3H3N2", "N"),
        ("ZIF-zni_Gaillac2018_cp2k-input_primitive.cif", "C3H3N2", "N"),
        ("ZIF-8_PBE-D3-opt_Durholt2019_primitive.cif", "C4H5N2", "N"),
        ("MOF-5_PBEsol0_Evans2016.cif", "C8H4O4", "O"),
    ],
)
def test_published_crystals_read_the_same(shared, path, linker, donor):
    atoms = ase.io.read(shared / "data/structures/crystals" / path)
    found = chemistry.derive(atoms)
    assert found.donors == (donor,)
    assert list(found.linkers) == [linker]
    assert found.coordination == {"Zn": 4}


def test_chemistry_round_trips_through_json(tmp_path):
    found = chemistry.derive(load_structure("builtin:MOF-5"))
    found.write(tmp_path / "chemistry.json")
    assert chemistry.Chemistry.read(tmp_path / "chemistry.json") == found


def test_overrides_replace_derived_values():
    atoms = load_structure("builtin:ZIF-4")
    found = chemistry.derive(
        atoms,
        {"bond_cutoffs_A": {"Zn-N": 2.3}, "coordination_range": [3, 5], "rdf_pairs": [["Zn", "C"]]},
    )
    assert found.cutoff_A == 2.3
    assert found.coordination_range == (3, 5)
    assert found.rdf_pairs == (("Zn", "C"),)
    assert found.overridden == ("bond_cutoffs_A", "coordination_range", "rdf_pairs")
    assert found.linkers == {"C3H3N2": 32}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"metals": ["Cu"]}, r"chemistry.metals names \['Cu'\], not in the structure"),
        ({"bond_cutoffs_A": {"Zn-O": 2.4}}, "Zn-O pairs elements not present"),
        ({"colour": "blue"}, r"unknown chemistry key\(s\) \['colour'\]"),
    ],
)
def test_bad_overrides_are_named(overrides, message):
    with pytest.raises(chemistry.ChemistryError, match=message):
        chemistry.derive(load_structure("builtin:ZIF-4"), overrides)


def test_no_metal_or_no_linker_is_an_error():
    from ase.build import bulk, molecule

    with pytest.raises(chemistry.ChemistryError, match="no metal"):
        chemistry.derive(molecule("C6H6", vacuum=5.0, pbc=True))
    with pytest.raises(chemistry.ChemistryError, match="no atom is bonded to a metal"):
        chemistry.derive(bulk("Cu", cubic=True) * 2)


@pytest.mark.parametrize(
    ("name", "per_metal"),
    [
        # Zn(mIm)2 per Zn: 4 N; C2 (bears the methyl) 2, C4/C5 4, methyl C 2; ring H 4,
        # methyl H 6
        (
            "ZIF-8",
            {"Zn": 1, "N(CC)": 4, "C(CNN)": 2, "C(CHN)": 4, "C(CHHH)": 2}
            | {"H[C(CHN)]": 4, "H[C(CHHH)]": 6},
        ),
        # Zn4O(BDC)3 per Zn: 1/4 μ4-O and 3/4 BDC, each with 4 carboxylate O, 2
        # carboxylate C, 2 ipso C, 4 CH carbons and their 4 H
        (
            "MOF-5",
            {"Zn": 1, "O()": 0.25, "O(C)": 3, "C(COO)": 1.5, "C(CCC)": 1.5}
            | {"C(CCH)": 3, "H[C(CCH)]": 3},
        ),
    ],
)
def test_model_types_are_sharma_and_sanvitos_seven_and_survive_hot_bonds(name, per_metal):
    atoms = load_structure(f"builtin:{name}")
    n_zn = atoms.get_chemical_symbols().count("Zn")
    found = Counter(chemistry.model_types(atoms))
    assert found == {t: round(n * n_zn) for t, n in per_metal.items()}
    # a C-H stretched to 1.45 Å and a Zn-donor to 2.9 Å (past every bond cutoff): the
    # types stay, as they must within a hot run
    symbols = np.array(atoms.get_chemical_symbols())
    h = int(np.flatnonzero(symbols == "H")[0])
    heavy = np.flatnonzero((symbols != "H") & (symbols != "Zn"))
    partner = int(heavy[np.argmin(atoms.get_distances(h, heavy, mic=True))])
    hot = atoms.copy()
    bond = hot.get_distance(partner, h, mic=True, vector=True)
    hot.positions[h] += bond * (1.45 / np.linalg.norm(bond) - 1)
    zn = int(np.flatnonzero(symbols == "Zn")[0])
    donors = np.flatnonzero(symbols == ("N" if name == "ZIF-8" else "O"))
    donor = int(donors[np.argmin(hot.get_distances(zn, donors, mic=True))])
    bond = hot.get_distance(zn, donor, mic=True, vector=True)
    hot.positions[zn] -= bond * (2.9 / np.linalg.norm(bond) - 1)
    assert hot.get_distance(partner, h, mic=True) == pytest.approx(1.45)
    assert chemistry.model_types(hot) == chemistry.model_types(atoms)


def test_a_frame_keeps_its_runs_start_types_and_a_foreign_frame_is_refused():
    from mofglass.chemistry import TYPE_ARRAY, inherit_types, model_types, types_of

    start = load_structure("builtin:ZIF-4")
    hot = start.copy()
    h = next(a.index for a in start if a.symbol == "H")
    hot.positions[h] += [3.0, 0.0, 0.0]  # torn off its C
    assert types_of(hot) == model_types(hot) != model_types(start)
    inherit_types([hot], start)
    assert types_of(hot) == model_types(start)
    assert list(hot.arrays[TYPE_ARRAY]) == model_types(start)
    foreign = start.copy()
    foreign.symbols[h] = "F"
    with pytest.raises(chemistry.ChemistryError, match="not those of its run.s start"):
        inherit_types([foreign], start)
