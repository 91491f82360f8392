"""Configuration: JSON-schema validation with readable errors, defaults, cross-checks.

:func:`validate_config` is called by the Snakefile before any job is scheduled; it
fills in defaults in place and raises :class:`ConfigError` naming every offending key
and what was expected. The checks here are the config's own (levels, run labels,
physical limits, structure sources); each stage checks its block against the rest of
the config beside its science (``config_errors`` of :mod:`mofglass.datasets`,
:mod:`mofglass.families.checks`, :mod:`mofglass.active_learning`, :mod:`mofglass.md`,
:mod:`mofglass.mechanics`, :mod:`mofglass.enhanced`, :mod:`mofglass.phases`,
:mod:`mofglass.coexistence`, :mod:`mofglass.cross_check`, :mod:`mofglass.repair`).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, MutableMapping
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
    yield from stage_errors(config)
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


def stage_errors(config: dict) -> Iterator[str]:
    """Each stage's own cross-key checks, written beside its science (``config_errors``
    of the stage's module); imported here, when a config is checked, not before."""
    from . import (
        active_learning,
        coexistence,
        cross_check,
        datasets,
        enhanced,
        md,
        mechanics,
        phases,
        repair,
    )
    from .families import checks as models

    stages = (datasets, models, active_learning, md, mechanics, enhanced, phases, coexistence)
    for stage in (*stages, cross_check, repair):
        yield from stage.config_errors(config)


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


def expand_model_files(config: dict) -> None:
    """A published model's file with its environment variables and ``~`` expanded (a
    shared config names the file by a variable each site sets)."""
    for block in config.get("models", {}).values():
        if "file" in block:
            block["file"] = os.path.expanduser(os.path.expandvars(block["file"]))


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
