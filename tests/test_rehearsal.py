"""The rehearsal of a config differs from it only in lengths, and still validates."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from mofglass import rehearsal
from mofglass.cli import main
from mofglass.config import validate_config

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
CONFIGS = sorted((ROOT / "config").glob("*.yaml"))

# What this test counts as a length, written here independently of the module: the
# last key of a path (list indices dropped). Counts and durations may only fall; scan
# points only lose points (those kept are the source's); rates may only rise (a ramp of
# a fixed span made shorter).
COUNTS = re.compile(
    r"(_ps|steps|_every|epochs|frames|replicas|train|test|validation|max_iterations|"
    r"runs|max_evaluations|samples|rattles|members|max_iter|blocks|batch_size|"
    r"minimize_iterations|max_frames_per_run|stride)$"
)
SCANS = re.compile(r"(temperatures_K|volume_scales|pressures_GPa|fractions|stretches_A|pull_A)$")
RATES = re.compile(r"rate_K_per_ps$")


def flatten(node, path=()):
    """(path, leaf) pairs; a list of numbers is one leaf, a list of blocks is walked."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from flatten(value, (*path, key))
    elif isinstance(node, list) and any(isinstance(v, (dict, list)) for v in node):
        for i, value in enumerate(node):
            yield from flatten(value, (*path, i))
    else:
        yield path, node


def leaf(path) -> str:
    return next(str(p) for p in reversed(path) if not isinstance(p, int))


def derived(path: Path, ranks=None) -> tuple[dict, dict]:
    source = rehearsal.with_defaults(yaml.safe_load(path.read_text()), SCHEMA)
    return source, rehearsal.derive(source, of=str(path), ranks=ranks)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_rehearsal_differs_only_in_lengths(path):
    source, rehearsed = derived(path)
    assert rehearsed.pop("rehearsal") == {"of": str(path), "ranks": None}
    before, after = dict(flatten(source)), dict(flatten(rehearsed))
    after.pop(("aimd", "extra_runs"), None)  # emptied: no items left to walk
    # extra AIMD runs are scan points too: their items leave as a whole
    gone = {p for p in before if p not in after}
    assert all(p[:2] == ("aimd", "extra_runs") for p in gone), gone
    assert rehearsed["aimd"]["extra_runs"] in ([], source["aimd"]["extra_runs"])
    assert set(after) <= set(before)
    cut = 0
    for key, value in after.items():
        old, name = before[key], leaf(key)
        if value == old:
            continue
        cut += 1
        where = ".".join(map(str, key))
        if SCANS.search(name):
            assert value and all(v in old for v in value), where
            assert [v for v in old if v in value] == value, f"{where}: order kept"
        elif RATES.search(name):
            assert value > old, where
        else:
            assert COUNTS.search(name), f"{where}: {old!r} -> {value!r} is not a length"
            assert 0 < value < old, where
    assert cut > 5


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_rehearsal_validates(path, tmp_path, monkeypatch):
    monkeypatch.setenv("MOFGLASS_CASTEL2024_NEQUIP", str(tmp_path / "castel.pth"))
    (tmp_path / "castel.pth").write_bytes(b"")
    _, rehearsed = derived(path, ranks=2)
    validate_config(copy.deepcopy(rehearsed), SCHEMA)
    assert rehearsed["cp2k"]["ranks"] == 2


def test_rehearsal_keeps_what_the_physics_needs():
    """The paper's rehearsal: one AIMD run in two chunks of the hottest, densest point;
    three volumes for the equation of state; the expansion's fit temperature; melt
    ramps of the real span, each a few steps."""
    source, rehearsed = derived(ROOT / "config/paper.yaml")
    aimd = rehearsed["aimd"]
    assert (aimd["temperatures_K"], aimd["volume_scales"]) == ([1750], [0.90])
    assert aimd["steps"] == 2 * aimd["chunk_steps"]
    assert len(rehearsed["mechanics"]["eos"]["volume_scales"]) == 3
    expansion = rehearsed["mechanics"]["expansion"]
    assert expansion["at_K"] in expansion["temperatures_K"]
    melt = rehearsed["meltquench"]
    span = melt["max_temperature_K"] - melt["start_temperature_K"]
    ramp_steps = span / melt["heating_rate_K_per_ps"] * 1000.0 / melt["timestep_fs"]
    assert ramp_steps == pytest.approx(rehearsal.STEPS)
    assert melt["supercell"] == source["meltquench"]["supercell"] == [2, 2, 2]
    bias = next(iter(rehearsed["enhanced_sampling"]["biases"].values()))
    assert bias["steps"] == 2 * bias["metad"]["pace"]


def test_rehearse_command_writes_a_config(tmp_path, capsys):
    out = tmp_path / "r.yaml"
    assert main(["rehearse", "--configfile", str(ROOT / "config/tiny.yaml"), "-o", str(out)]) == 0
    written = yaml.safe_load(out.read_text())
    assert written["rehearsal"]["of"].endswith("config/tiny.yaml")
    assert str(out) in capsys.readouterr().out
