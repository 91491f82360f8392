"""A rehearsal of a config: the same run with only its lengths cut.

Before days in a cluster's queue, every rule of a config should have run once at its
real sizes: the same structures, cells and supercells, levels of theory, model
architectures, ensembles, timesteps and damping, with only the lengths cut (MD steps and
durations, epochs, frames per set, replicas, iterations, scan points). What breaks at
real sizes then breaks in minutes, and each job's measured cost scales to the full run
(:mod:`mofglass.cost`).

:func:`derive` takes a config with its schema defaults filled in (every length
explicit) and returns the rehearsal. A length is cut to the least that still runs the
rule's code on its real paths: a chunked or segmented run keeps two chunks (the restart
is rehearsed), a fit keeps two points, a scan keeps its ends (and the points other keys
name), an average keeps two blocks. Nothing else changes, except where the caller
names the site's CP2K ranks (a resource, not the run's physics).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, MutableMapping, Sequence

#: MD steps of each cut stage, run or protocol segment.
STEPS = 4
#: AIMD steps of each run (frames for every dataset split: see :func:`_datasets`).
AIMD_STEPS = 8
#: Steps between thermo and trajectory records: every step of a short run.
EVERY = 1
#: Frames of each dataset split (training, test, validation).
FRAMES = {"train": 3, "test": 2, "validation": 2}


def derive(config: Mapping, of: str, ranks: int | None = None) -> dict:
    """The rehearsal of ``config`` (schema defaults filled in), read from ``of``;
    ``ranks``: the site's CP2K MPI ranks, where the rehearsal's node has fewer cores
    than the config asks."""
    out = copy.deepcopy(dict(config))
    out["rehearsal"] = {"of": str(of), "ranks": ranks}
    if ranks is not None:
        out["cp2k"]["ranks"] = int(ranks)
    for block in out["levels_of_theory"].values():
        if "repair" in block:
            _repair(block["repair"])
    if "aimd" in out:
        _aimd(out["aimd"])
    for block in out.get("datasets", {}).values():
        _dataset(block)
    for block in out.get("models", {}).values():
        _model(block)
    _md(out.get("md", {}))
    _analysis(out.get("analysis", {}))
    if "meltquench" in out:
        _meltquench(out["meltquench"])
    if "mechanics" in out:
        _mechanics(out["mechanics"])
    for block in out.get("enhanced_sampling", {}).get("biases", {}).values():
        _bias(block)
    if "phases" in out:
        _phases(out["phases"])
    for block in out.get("coexistence", {}).get("systems", {}).values():
        _coexistence(block)
    return out


def ends(points: Sequence, keep: Sequence = ()) -> list:
    """A scan's first and last points, and those of ``keep`` it holds, in its order."""
    chosen = {0, len(points) - 1}
    chosen |= {i for i, p in enumerate(points) if any(_same(p, k) for k in keep)}
    return [points[i] for i in sorted(chosen) if 0 <= i < len(points)]


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b))
    return a == b


def _cut(block: MutableMapping, key: str, value) -> None:
    """``block[key]`` lowered to ``value`` where it holds more."""
    if block.get(key) is not None and block[key] > value:
        block[key] = value


def _ps(timestep_fs: float, steps: int = STEPS) -> float:
    """The duration (ps) of ``steps`` steps of ``timestep_fs``."""
    return round(steps * timestep_fs / 1000.0, 9)


def _durations(block: MutableMapping, keys: Sequence[str], timestep_fs: float, steps=STEPS):
    for key in keys:
        _cut(block, key, _ps(timestep_fs, steps))


def _every(block: MutableMapping, keys=("thermo_every", "dump_every")) -> None:
    for key in keys:
        _cut(block, key, EVERY)


def _repair(repair: MutableMapping) -> None:
    points = repair["points"]
    points["stretches_A"] = ends(points["stretches_A"])
    _cut(points, "rattles", 1)
    repair["pull_A"] = ends(repair["pull_A"], keep=[0.0])


def _aimd(aimd: MutableMapping) -> None:
    """One run, the hottest at the smallest volume (the hardest SCF and the densest
    cell), in two chunks; the extra runs are further scan points."""
    aimd["temperatures_K"] = [max(aimd["temperatures_K"])]
    aimd["volume_scales"] = [min(aimd["volume_scales"])]
    aimd["extra_runs"] = []
    _cut(aimd, "steps", AIMD_STEPS)
    _cut(aimd, "chunk_steps", AIMD_STEPS // 2)
    _cut(aimd, "print_every", EVERY)
    _cut(aimd, "equilibration_steps", 1)


def _dataset(block: MutableMapping) -> None:
    for key, frames in FRAMES.items():
        _cut(block, key, frames)
    _cut(block, "stride", 1)
    if block.get("temperatures_K"):
        block["temperatures_K"] = block["temperatures_K"][-1:]


def _model(block: MutableMapping) -> None:
    if "network" in block:
        _cut(block["network"], "epochs", 1)
        _cut(block["network"], "batch_size", FRAMES["train"])
    if "snap" in block and "tune" in block["snap"]:
        _cut(block["snap"]["tune"], "max_evaluations", 2)
    if "learning_curve" in block:
        block["learning_curve"]["fractions"] = block["learning_curve"]["fractions"][-1:]
    if "committee" in block:
        _cut(block["committee"], "members", 2)
    if "active_learning" in block:
        _active_learning(block["active_learning"])


def _active_learning(loop: MutableMapping) -> None:
    """One iteration of one exploration at the ladder's first temperature."""
    perturb = loop["perturb"]
    _cut(perturb, "test", 1)
    _cut(perturb, "validation", 1)
    _cut(perturb, "max_frames", perturb["test"] + perturb["validation"] + 2)
    _cut(perturb, "frames", perturb["max_frames"])
    loop["temperatures_K"] = loop["temperatures_K"][:1]
    _cut(loop, "max_iterations", 1)
    _cut(loop, "runs", 1)
    _cut(loop, "steps", 2 * STEPS)
    _cut(loop, "sample_every", STEPS)
    _cut(loop, "max_frames_per_run", 1)
    if loop.get("meltquench", {}).get("runs") is not None:
        _cut(loop["meltquench"], "runs", 1)


def _md(md: MutableMapping) -> None:
    for stage in md.get("check", {}).get("stages", []):
        _durations(stage, ["duration_ps"], stage["timestep_fs"])
        _every(stage)
    if "cost" in md:
        _cut(md["cost"], "steps", STEPS)


def _analysis(analysis: MutableMapping) -> None:
    for block, key, value in (
        (analysis.get("rings", {}), "frames", 1),
        (analysis.get("pores", {}), "frames", 1),
        (analysis.get("pores", {}), "samples", 1000),
        (analysis, "last_frames", 2),
    ):
        _cut(block, key, value)


def _meltquench(block: MutableMapping) -> None:
    """One replica; every plateau and ramp a few steps, in two segments."""
    dt = block["timestep_fs"]
    _cut(block, "replicas", 1)
    _durations(block, ["equilibration_ps", "plateau_ps", "final_ps"], dt)
    span = abs(block["max_temperature_K"] - block["start_temperature_K"])
    for key in ("heating_rate_K_per_ps", "cooling_rate_K_per_ps"):
        block[key] = max(block[key], span / _ps(dt))
    if block.get("anneal"):
        _durations(block["anneal"], ["duration_ps"], dt)
    total = sum(block[key] for key in ("equilibration_ps", "plateau_ps", "final_ps")) + 2 * _ps(dt)
    _cut(block, "segment_ps", _ps(dt, math.ceil(total * 1000.0 / dt / 2)))
    _every(block)


def _mechanics(block: MutableMapping) -> None:
    """Three volumes for the equation of state (a fit of order 2 needs them), the
    expansion's ends at the pressure of its fit temperature, two blocks of every
    average."""
    dt = block["timestep_fs"]
    _cut(block, "blocks", 2)
    _cut(block, "thermo_every", EVERY)
    _cut(block, "segment_ps", _ps(dt, STEPS))
    eos = block["eos"]
    scales = eos["volume_scales"]
    eos["volume_scales"] = ends(scales, keep=[scales[len(scales) // 2]])
    _cut(eos, "max_iterations", 2 * STEPS)
    expansion = block["expansion"]
    expansion["temperatures_K"] = ends(expansion["temperatures_K"], keep=[expansion["at_K"]])
    expansion["pressures_GPa"] = ends(expansion["pressures_GPa"])
    for name in ("eos", "fluctuations", "expansion", "vdos"):
        sub = block[name]
        step = sub.get("timestep_fs") or dt
        _durations(sub, ["equilibration_ps", "production_ps"], step)
        _cut(sub, "blocks", 2)
        _cut(sub, "thermo_every", EVERY)
    _cut(block["vdos"], "sample_every", 1)


def _bias(block: MutableMapping) -> None:
    """Two hills' worth of steps: the bias is deposited and the FES written."""
    pace = int(block["metad"]["pace"])
    _cut(block, "steps", 2 * pace)
    _cut(block, "thermo_every", pace)
    _cut(block, "dump_every", pace)


def _phases(block: MutableMapping) -> None:
    md = block["md"]
    _durations(md, ["duration_ps"], md["timestep_fs"])
    _every(md)
    _cut(block.get("network", {}), "max_iter", 20)
    for cls in block.get("classes", {}).values():
        if cls.get("temperatures_K"):
            cls["temperatures_K"] = cls["temperatures_K"][:1]


def _coexistence(block: MutableMapping) -> None:
    """The ladder's ends, each a few steps; the melt and quench likewise."""
    dt = block["timestep_fs"]
    block["temperatures_K"] = ends(block["temperatures_K"])
    _durations(block, ["melt_ps", "duration_ps"], dt)
    _cut(block, "segment_ps", _ps(dt, STEPS // 2))
    span = abs(block["melt_temperature_K"] - block["quench_temperature_K"])
    block["cooling_rate_K_per_ps"] = max(block["cooling_rate_K_per_ps"], span / _ps(dt))
    _every(block)
    _cut(block, "minimize_iterations", STEPS)


def with_defaults(config: Mapping, schema: Mapping) -> dict:
    """``config`` with its schema defaults filled in (every length explicit); raises
    :class:`mofglass.config.ConfigError` on a schema violation."""
    from .config import ConfigError, schema_errors

    filled = copy.deepcopy(dict(config))
    problems = list(schema_errors(filled, dict(schema)))
    if problems:
        raise ConfigError("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))
    return filled
