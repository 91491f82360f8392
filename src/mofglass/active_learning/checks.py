"""The config's active-learning blocks checked against the rest of the config.

Units: Å, fs, ps, K, eV; errors as in :mod:`mofglass.evaluation` (meV/atom, meV/Å).
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import enhanced


def config_errors(config: dict) -> Iterator[str]:
    """Active-learning models whose start, labels, MD or bias the config cannot provide."""
    for name, block in config.get("models", {}).items():
        if block.get("active_learning") is not None:
            yield from _loop_errors(config, name, block)


def _loop_errors(config: dict, name: str, block: dict) -> Iterator[str]:
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
    yield from _biased_loop_errors(config, name, block)
    if loop["start"] == "perturb":
        p = loop["perturb"]
        if p["test"] + p["validation"] >= p["max_frames"]:
            yield f"{key}.perturb: test + validation must leave training frames of max_frames"
        if block["type"] != "snap" and p["validation"] == 0:
            yield f"{key}.perturb.validation: {block['type']} training needs validation frames"


def _biased_loop_errors(config: dict, name: str, block: dict) -> Iterator[str]:
    """A loop that explores under a bias: the bias must be defined, on the loop's own
    structure, and the model must run metadynamics (in LAMMPS: a SNAP, or a family
    model through its LAMMPS pair style)."""
    from .. import families  # a family's engine; families import nothing of the loop

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
    yield from enhanced.bias_errors(config, f"{key} (bias {meta['bias']!r} with its metad)", bias)
    first = next(iter(config.get("structures", {})), None)  # null: the first structure
    on, explored = biases[meta["bias"]].get("structure") or first, loop["structure"] or first
    if on != explored:
        yield f"{key}.bias: {meta['bias']!r} is on {on!r}, the loop explores {explored!r}"
    if block["type"] != "snap" and families.engine_for(block) == "ase":
        yield f"{key}: metadynamics runs in LAMMPS, and a {block['type']} model runs in ASE here"
    if meta["sample_every"] > meta["steps"]:
        yield f"{key}.sample_every: {meta['sample_every']} is more than the run's steps"
