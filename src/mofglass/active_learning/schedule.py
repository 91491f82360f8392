"""The loop's schedule and what each of its jobs is given: temperatures, runs
(plain, biased, melt-quench), request caps, label batches and seeds per iteration.

Units: Å, fs, ps, K, eV; errors as in :mod:`mofglass.evaluation` (meV/atom, meV/Å).
"""

from __future__ import annotations

import math
from collections.abc import Mapping


def temperature_at(block: Mapping, iteration: int) -> float:
    """T_k (K) of iteration k >= 1: the schedule's k-th temperature, then its last."""
    ladder = block["temperatures_K"]
    return float(ladder[min(iteration, len(ladder)) - 1])


def explores_meltquench(block: Mapping, iteration: int) -> bool:
    """Whether iteration k explores by running the melt-quench protocol (k at or past
    ``meltquench.from_iteration``) instead of MD at T_k."""
    start = (block.get("meltquench") or {}).get("from_iteration")
    return start is not None and iteration >= max(1, start)


def biased_runs(block: Mapping, iteration: int) -> int:
    """Exploration runs of iteration k under the metadynamics bias (``metadynamics``:
    from ``from_iteration`` on, ``runs`` of them, after the plain runs)."""
    meta = block.get("metadynamics") or {}
    start = meta.get("from_iteration")
    return meta["runs"] if start is not None and iteration >= max(1, start) else 0


def plain_runs(block: Mapping, iteration: int) -> int:
    """Unbiased exploration jobs of an iteration: the MD runs at T_k (the melt-quench
    runs of a melt-quench iteration), or one perturbation job at 0."""
    if iteration == 0:
        return 1
    if explores_meltquench(block, iteration):
        return block["meltquench"]["runs"]
    return block["runs"]


def runs_at(block: Mapping, iteration: int) -> int:
    """Exploration jobs of an iteration: its plain runs, then its biased ones."""
    return plain_runs(block, iteration) + biased_runs(block, iteration)


def is_biased(block: Mapping, iteration: int, run: int) -> bool:
    """Whether run ``run`` of iteration k explores under the metadynamics bias."""
    return run >= plain_runs(block, iteration) and run < runs_at(block, iteration)


def max_requests(block: Mapping, iteration: int) -> int:
    """Most frames an iteration can send to labelling."""
    if iteration == 0:
        return block["perturb"]["max_frames"]
    # CBAD's picks plus the failing frame of a run that failed
    plain = plain_runs(block, iteration) * (block["max_frames_per_run"] + 1)
    biased = (block.get("metadynamics") or {}).get("max_frames_per_run")
    return plain + biased_runs(block, iteration) * ((biased or block["max_frames_per_run"]) + 1)


def label_batches(block: Mapping, iteration: int, batch_size: int) -> int:
    """Static number of labelling batches of an iteration (some may be empty)."""
    return max(1, math.ceil(max_requests(block, iteration) / batch_size))


def run_seed(block: Mapping, iteration: int, run: int) -> int:
    """Velocity seed of an exploration run: a positive integer, distinct per
    (seed, iteration, run) for up to 1000 runs and 1000 iterations."""
    return 1 + run + 1000 * iteration + 1_000_000 * (block["seed"] % 1000)


#: The loop's keys a plain exploration run reads.
EXPLORE_KEYS = (
    "steps",
    "timestep_fs",
    "sample_every",
    "ensemble",
    "pressure_GPa",
    "cell",
    "displacement_A",
    "max_temperature_factor",
)


def job_settings(
    loop: Mapping,
    iteration: int,
    part: str,
    meltquench: Mapping | None = None,
    run: int | None = None,
    biases: Mapping | None = None,
) -> dict:
    """What one job of iteration k needs from the loop's config block, resolved.

    Each job gets only what changes its result (T_k rather than the schedule), so that
    extending the schedule or ``max_iterations`` reruns nothing already done.
    ``part`` is ``explore``, ``select`` or ``train``; an exploration by melt-quench
    gets the ``meltquench`` config block (protocol and watch) instead of the MD keys; a
    biased exploration run (:func:`is_biased`) gets its bias's block from ``biases``
    (``enhanced_sampling.biases``) with the loop's steps and sampling.
    """
    settings: dict = {"start": loop["start"], "seed": loop["seed"]}
    settings["temperature_K"] = temperature_at(loop, iteration) if iteration else None
    if iteration == 0:
        settings["perturb"] = dict(loop["perturb"])
    if part == "explore" and run is not None and is_biased(loop, iteration, run):
        settings.update(biased_settings(loop, biases))
    elif part == "explore" and explores_meltquench(loop, iteration):
        if meltquench is None:
            raise ValueError("a melt-quench exploration needs the meltquench block")
        settings["meltquench"] = dict(meltquench)
        settings["temperature_K"] = float(meltquench["max_temperature_K"])
    elif part == "explore" and iteration:
        settings.update({key: loop[key] for key in EXPLORE_KEYS})
    elif part == "select":
        settings["cbad"] = dict(loop["cbad"])
        settings["selector"] = loop["selector"]
        if loop["selector"] == "committee":
            settings["trust"] = dict(loop["trust"])
        settings["cap"] = (
            loop["perturb"]["max_frames"] if iteration == 0 else (loop["max_frames_per_run"])
        )
        if biased_runs(loop, iteration):  # the biased runs' own cap after the plain ones'
            meta = loop["metadynamics"]
            biased_cap = meta.get("max_frames_per_run") or settings["cap"]
            settings["caps"] = [settings["cap"]] * plain_runs(loop, iteration) + [
                biased_cap
            ] * biased_runs(loop, iteration)
    elif part == "train":
        settings["cbad"] = dict(loop["cbad"])
        settings["stop"] = dict(loop["stop"])
        settings["top_temperature_K"] = float(max(loop["temperatures_K"]))
        settings["last"] = iteration >= loop["max_iterations"]
        settings["meltquench_from"] = (loop.get("meltquench") or {}).get("from_iteration")
    return settings


def biased_settings(loop: Mapping, biases: Mapping | None) -> dict:
    """The settings of a biased exploration run: the named bias's config block (its
    ``metad`` keys overridden by the loop's ``metadynamics.metad``: the loop may drive
    one CV with stronger hills than the FES run), its temperature, the loop's start
    displacement and runaway factor, and the loop's ``metadynamics`` steps and sampling
    (a frame and a thermo row every ``sample_every`` steps)."""
    meta = loop["metadynamics"]
    if not biases or meta["bias"] not in biases:
        raise ValueError(f"the loop explores under bias {meta['bias']!r}, not given")
    block = dict(biases[meta["bias"]])
    block["metad"] = {**block["metad"], **(meta.get("metad") or {})}  # the loop's own hills
    # the temperature is read where a frame is written: a runaway cuts the frames there
    block.update(steps=meta["steps"], dump_every=meta["sample_every"])
    block["thermo_every"] = meta["sample_every"]
    return {
        "bias": meta["bias"],
        "metadynamics": block,
        "temperature_K": float(block["temperature_K"]),
        "displacement_A": loop["displacement_A"],
        "max_temperature_factor": loop["max_temperature_factor"],
    }
