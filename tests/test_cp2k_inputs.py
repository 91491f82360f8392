"""CP2K inputs: levels of theory, overrides, and the round trip through cp2k-input-tools."""

from __future__ import annotations

import pytest

from mofglass.cp2k.inputs import (
    MDSettings,
    check_overrides,
    energy_force_input,
    md_input,
    parse,
    render,
    unknown_keys,
)
from mofglass.cp2k.levels import LevelOfTheory, LevelOfTheoryError, deep_merge
from mofglass.structures import load_structure

from .conftest import CP2K_DATA


@pytest.fixture(scope="module")
def zif4():
    return load_structure("builtin:ZIF-4")


@pytest.fixture(scope="module")
def pbe():
    return LevelOfTheory.from_config("pbe", {"method": "pbe-d3"})


def round_trip(tree: dict) -> dict:
    """Parse the rendered input; rendering and parsing that again must change nothing."""
    parsed = parse(render(tree))
    assert parse(render(parsed)) == parsed
    return parsed


def test_pbe_d3_input_has_the_papers_settings(zif4, pbe):
    parsed = round_trip(energy_force_input(zif4, pbe, stress=True))
    dft = parsed["force_eval"]["dft"]
    assert dft["mgrid"] == {"cutoff": 600.0, "rel_cutoff": 40.0, "ngrids": 4}
    assert dft["qs"]["eps_default"] == pytest.approx(1e-7)
    assert dft["scf"]["eps_scf"] == pytest.approx(1e-5)
    assert dft["scf"]["ot"]["minimizer"].upper() == "DIIS"
    assert dft["scf"]["ot"]["preconditioner"].upper() == "FULL_SINGLE_INVERSE"
    assert dft["xc"]["xc_functional"]["_"].upper() == "PBE"
    d3 = dft["xc"]["vdw_potential"]["pair_potential"]
    assert d3["type"].upper() == "DFTD3" and d3["r_cutoff"] == pytest.approx(16.0)
    kinds = parsed["force_eval"]["subsys"]["kind"]
    assert kinds["Zn"]["basis_set"] == "DZVP-MOLOPT-SR-GTH"
    assert kinds["Zn"]["potential"] == "GTH-PBE-q12"
    for element, q in (("C", 4), ("H", 1), ("N", 5)):
        assert kinds[element]["basis_set"] == "DZVP-GTH-PBE"
        assert kinds[element]["potential"] == f"GTH-PBE-q{q}"
    assert parsed["force_eval"]["stress_tensor"].upper() == "ANALYTICAL"
    assert len(parsed["force_eval"]["subsys"]["coord"]["*"]) == 272


def test_md_input_is_nvt_csvr(tiny, xtb):
    md = MDSettings(
        temperature_K=1500, timestep_fs=0.5, thermostat_timecon_fs=1000, seed=5, masses={"H": 2.014}
    )
    parsed = round_trip(
        md_input(tiny, xtb, md, steps=10, restart_file="../prev.restart", wfn_file="../prev.wfn")
    )
    mdsec = parsed["motion"]["md"]
    assert mdsec["ensemble"].upper() == "NVT" and mdsec["steps"] == 10
    assert mdsec["timestep"] == pytest.approx(0.5)
    assert mdsec["temperature"] == pytest.approx(1500)
    assert mdsec["thermostat"]["type"].upper() == "CSVR"
    assert mdsec["thermostat"]["csvr"]["timecon"] == pytest.approx(1000)
    assert parsed["global"]["seed"] == 5
    assert parsed["ext_restart"]["restart_file_name"] == "../prev.restart"
    assert parsed["force_eval"]["dft"]["scf"]["scf_guess"].upper() == "RESTART"
    assert parsed["force_eval"]["subsys"]["kind"]["H"]["mass"] == pytest.approx(2.014)


def test_overrides_merge_case_insensitively_and_reach_the_input(tiny):
    level = LevelOfTheory.from_config(
        "xtb",
        {
            "method": "gfn1-xtb",
            "overrides": {
                "FORCE_EVAL": {"DFT": {"SCF": {"MAX_SCF": 3, "added_mos": 4}}},
                "global": {"print_level": "medium"},
            },
        },
    )
    check_overrides(level)
    parsed = round_trip(energy_force_input(tiny, level))
    scf = parsed["force_eval"]["dft"]["scf"]
    assert scf["max_scf"] == 3 and scf["added_mos"] == 4
    assert scf["eps_scf"] == pytest.approx(1e-6)  # untouched template value
    assert parsed["global"]["print_level"].upper() == "MEDIUM"


def test_unknown_override_is_named_with_its_path():
    level = LevelOfTheory.from_config(
        "x",
        {
            "method": "gfn1-xtb",
            "overrides": {
                "force_eval": {"dft": {"scf": {"max_scff": 3}}, "subsys": {"kind": {"H": {}}}},
                "motion": {"md": {"steps": 4}},
            },
        },
    )
    assert list(unknown_keys(level.overrides)) == ["force_eval.dft.scf.max_scff"]
    with pytest.raises(
        LevelOfTheoryError,
        match=r"levels_of_theory\.x\.overrides\.force_eval"
        r"\.dft\.scf\.max_scff",
    ):
        check_overrides(level)


def test_deep_merge_keeps_base_and_lowercases():
    base = {"a": {"b": 1, "c": 2}, "kind": {"H": {"basis_set": "X"}}}
    out = deep_merge(base, {"A": {"C": 3}, "kind": {"H": {"mass": 2.0}}})
    assert out == {"a": {"b": 1, "c": 3}, "kind": {"H": {"basis_set": "X", "mass": 2.0}}}
    assert base["a"]["c"] == 2  # not modified in place


def test_element_checks(zif4, pbe, xtb):
    xtb.check_elements(zif4.get_chemical_symbols())
    with pytest.raises(LevelOfTheoryError, match="GFN1-xTB.*Og"):
        xtb.check_elements(["H", "Og"])
    pbe.check_elements(zif4.get_chemical_symbols(), CP2K_DATA)
    with pytest.raises(
        LevelOfTheoryError,
        match=r"no CP2K basis set for element\(s\) Cu.*"
        r"levels_of_theory\.pbe\.basis",
    ):
        pbe.check_elements(["H", "Cu"], CP2K_DATA)


@pytest.mark.skipif(not CP2K_DATA.is_dir(), reason="CP2K's data files (/usr/share/cp2k) absent")
def test_basis_and_potential_names_are_checked_against_cp2k_data():
    typo = LevelOfTheory.from_config("pbe", {"method": "pbe-d3", "basis": {"Zn": "DZVP-MOLOPT"}})
    with pytest.raises(LevelOfTheoryError, match="basis set DZVP-MOLOPT for Zn is not in"):
        typo.check_elements(["Zn", "N"], CP2K_DATA)
    copper = LevelOfTheory.from_config(
        "pbe",
        {
            "method": "pbe-d3",
            "basis": {"Cu": "DZVP-MOLOPT-SR-GTH"},
            "potential": {"Cu": "GTH-PBE-q99"},
        },
    )
    with pytest.raises(LevelOfTheoryError, match="pseudopotential GTH-PBE-q99 for Cu"):
        copper.check_elements(["Cu"], CP2K_DATA)
    copper = LevelOfTheory.from_config(
        "pbe",
        {
            "method": "pbe-d3",
            "basis": {"Cu": "DZVP-MOLOPT-SR-GTH"},
            "potential": {"Cu": "GTH-PBE-q11"},
        },
    )
    copper.check_elements(["Cu", "O", "C", "H"], CP2K_DATA)


def test_unknown_method_is_refused():
    with pytest.raises(LevelOfTheoryError, match="unknown method 'b3lyp'"):
        LevelOfTheory.from_config("x", {"method": "b3lyp"})
