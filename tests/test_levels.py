"""Levels of theory in words (mofglass.levels.describe), as the report names the level
of each model's labels."""

from mofglass import levels

LEVELS = {
    "pbe-d3": {"method": "pbe-d3"},
    "sevennet": {"calculator": "sevennet-0", "dispersion": {"method": "PBE", "damping": "d3zero"}},
    "chgnet": {"calculator": "chgnet"},
    "chgnet-d3": {"calculator": "chgnet", "dispersion": {"method": "PBE"}},
    "fixed": {"base": "sevennet", "repair": {"level_of_theory": "pbe-d3", "structure": "ZIF-4"}},
    "fixed-cu": {
        "base": "chgnet",
        "repair": {
            "level_of_theory": "pbe-d3",
            "structure": "HKUST-1",
            "term": {"pairs": [["Cu", "O"]]},
        },
    },
}


def test_each_kind_of_level_is_named_by_what_computes_it():
    assert levels.describe("pbe-d3", LEVELS) == "CP2K pbe-d3 (pbe-d3)"
    assert levels.describe("sevennet", LEVELS) == "sevennet-0 + D3 (d3zero) (sevennet)"
    assert levels.describe("chgnet", LEVELS) == "chgnet (chgnet)"
    assert levels.describe("chgnet-d3", LEVELS) == "chgnet + D3 (chgnet-d3)"  # its default damping


def test_a_repaired_level_names_its_base_its_pairs_and_its_points():
    assert levels.describe("fixed", LEVELS) == (
        "sevennet-0 + D3 (d3zero) (sevennet) + a metal–donor pair term fitted to pbe-d3 "
        "single points of ZIF-4 (fixed)"
    )
    assert levels.describe("fixed-cu", LEVELS) == (
        "chgnet (chgnet) + a Cu–O pair term fitted to pbe-d3 single points of HKUST-1 (fixed-cu)"
    )
