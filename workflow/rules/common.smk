# Configuration check and helpers shared by the rule files. Validation runs when the
# workflow is parsed, so a bad config stops the run before any job starts.
import re
from pathlib import Path

from mofglass import plan
from mofglass.config import validate_config
from mofglass.structures.load import BUILTIN_PREFIX

validate_config(config, workflow.source_path("../schemas/config.schema.yaml"))

AIMD_RUNS = plan.aimd_runs(config)
N_LABEL_BATCHES = plan.label_batches(config)


wildcard_constraints:
    structure="|".join(re.escape(name) for name in config["structures"]),
    temperature=r"[0-9]+(\.[0-9]+)?",
    volume=r"[0-9]+\.[0-9]{3}",
    batch=r"[0-9]{4}",


def structure_source(wildcards):
    """The user's structure file, so that editing it reruns what depends on it."""
    source = config["structures"][wildcards.structure]["source"]
    return [] if source.startswith(BUILTIN_PREFIX) else [source]


def used_levels():
    """Config blocks of the levels of theory the sampling and labelling stages use."""
    names = {config["aimd"]["level_of_theory"], config["labels"]["level_of_theory"]}
    return {name: config["levels_of_theory"][name] for name in sorted(names)}


def cp2k_threads():
    """Cores a CP2K job asks for: MPI ranks times OpenMP threads per rank."""
    return config["cp2k"]["ranks"] * config["cp2k"]["omp_threads"]


def structure_files():
    return expand("results/structures/{structure}.extxyz", structure=config["structures"])


def scaled_structure_files():
    return sorted({f"results/structures/{r.structure}/V{r.volume}.extxyz" for r in AIMD_RUNS})


def aimd_trajectories():
    return [f"results/aimd/{r.name}/trajectory.extxyz" for r in AIMD_RUNS]


def label_batch_files():
    return expand(
        "results/labels/batches/{batch:04d}.{kind}extxyz",
        batch=range(N_LABEL_BATCHES),
        kind=["", "quarantine."],
    )
