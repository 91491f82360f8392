# Configuration check and helpers shared by the rule files. Validation runs when the
# workflow is parsed, so a bad config stops the run before any job starts.
import glob
import os
import re
import sys
from pathlib import Path

# Every process of the workflow imports mofglass from this checkout: Snakemake itself
# here, and every job through PYTHONPATH (mofglass.checkout), whatever environment it
# runs in. Environments hold dependencies only, so two checkouts never share code.
# Used as a module (snakedeploy), the workflow has no checkout beside it: Snakemake
# imports the mofglass installed with it, and passes it on to the jobs in the same way
# when that is a source checkout (an editable install).
MOFGLASS_SRC = Path(workflow.basedir).parent / "src"
if (MOFGLASS_SRC / "mofglass" / "__init__.py").is_file():
    sys.path.insert(0, str(MOFGLASS_SRC))
from mofglass.checkout import export_to_jobs, source_of

export_to_jobs(source_of())

from mofglass import active_learning as alearn
from mofglass import cost, families, levels, needs, plan
from mofglass import resources as res
from mofglass.config import validate_config
from mofglass.structures.load import BUILTIN_PREFIX

validate_config(config, workflow.source_path("../schemas/config.schema.yaml"))


# what the run will need and is not here (model families and calculator levels unless
# conda deploys them, published model files): named now, needed by their jobs only
NEEDED = needs.of(
    config,
    software="conda" not in str(workflow.deployment_settings.deployment_method).lower(),
)
if NEEDED:
    print(needs.render(NEEDED), file=sys.stderr)


AIMD_RUNS = plan.aimd_runs(config)
relabelled = plan.relabelled_datasets(config)


def names_alternation(names):
    """A wildcard regex matching exactly these names (nothing if there are none)."""
    return "|".join(re.escape(name) for name in names) or "(?!)"


wildcard_constraints:
    structure="|".join(re.escape(name) for name in config["structures"]),
    temperature=r"[0-9]+(\.[0-9]+)?",
    volume=r"[0-9]+\.[0-9]{3}",
    batch=r"[0-9]{4}",
    dataset=names_alternation(config["datasets"]),
    level=names_alternation(relabelled),
    repaired=names_alternation(levels.repaired(config)),
    model=names_alternation(config["models"]),
    iteration=r"[0-9]{3}",
    run=r"[0-9]{3}",


def used_levels():
    """Config blocks of the levels of theory the sampling, labelling, active-learning and
    cross-check stages use."""
    names = levels.in_use(config)
    return {name: config["levels_of_theory"][name] for name in names}


def level_block(level):
    """The block a job runs a level of theory with (mofglass.levels.resolve)."""
    return levels.resolve(level, config["levels_of_theory"])


def level_files(level):
    """Files a job at a level reads: a repaired level's fitted term."""
    return levels.files(level, config["levels_of_theory"])


def md_ranks():
    """Cores (MPI ranks) of an MD job's LAMMPS run (``md.ranks``)."""
    return config["md"]["ranks"]


def cp2k_threads():
    """Cores a CP2K job asks for: MPI ranks times OpenMP threads per rank."""
    return config["cp2k"]["ranks"] * config["cp2k"]["omp_threads"]


def cp2k_layout():
    """A CP2K job's Slurm layout. With several MPI ranks it is an MPI job (tasks of
    OpenMP threads) that starts CP2K with the config's ``cp2k.command`` (srun) itself;
    with one rank it is a plain job of ``threads`` cores, which job groups can stack."""
    ranks = config["cp2k"]["ranks"]
    if ranks == 1:
        return {}
    return {"mpi": "srun", "tasks": ranks, "cpus_per_task": config["cp2k"]["omp_threads"]}


def partition_limits(kind):
    """What a partition of this run's Slurm profile allows a job of ``kind`` (cpu or gpu:
    runtime in min, mem_mb, mem_mb_per_cpu; None without a profile): read when a job's
    request is made, once the executor is set up (a dry run has none: its requests are
    not capped, and `mofglass cost` lists the jobs longer than a partition runs)."""
    settings = getattr(workflow, "executor_settings", None)
    path = getattr(settings, "partition_config", None) or os.environ.get(res.PARTITIONS_VARIABLE)
    if not path:
        return {"runtime": None, "mem_mb": None, "mem_mb_per_cpu": None}
    res.pass_on_partitions(path)
    return res.partition_limits(path)[kind]


def job_resources(rule, cp2k=False):
    """What a job of ``rule`` asks the scheduler for: its GPUs, wall time (min) and memory
    (MB), from its work read from the config (mofglass.cost: the figures `mofglass cost`
    prints) with the margins of mofglass.resources, within what the profile's partitions
    allow; a CP2K job's layout, and its memory per CPU (each rank's)."""

    def work(wildcards):
        return cost.job_work(config, rule, dict(wildcards.items()))

    def limits(job):
        return partition_limits("gpu" if job.gpus else "cpu")

    def runtime(wildcards, attempt):
        job = work(wildcards)
        return res.runtime_min(job, attempt, limits(job)["runtime"])

    def memory(wildcards, attempt):
        job = work(wildcards)
        allowed = limits(job)
        if cp2k and allowed["mem_mb"] is not None:
            per_cpu = min(allowed["mem_mb_per_cpu"], allowed["mem_mb"] / max(1, job.cores))
            return res.memory_request_mb(job, attempt, per_cpu)
        return res.memory_request_mb(job, attempt, allowed["mem_mb"])

    if cp2k:
        return {**cp2k_layout(), "runtime": runtime, "mem_mb_per_cpu": memory}
    return {"gpu": lambda wildcards: work(wildcards).gpus, "runtime": runtime, "mem_mb": memory}


def level_env(level):
    """The conda environment of a level's jobs: CP2K's, or a calculator level's own
    (``workflow/envs/<env>.yaml``: sevenn, chgnet; a user calculator in mofglass's CP2K one)."""
    block = config["levels_of_theory"].get(level, {})  # None: no such stage in this config
    env = levels.env(block, config["levels_of_theory"]) if block else None
    return f"../envs/{env or 'cp2k'}.yaml"


def model_settings(wildcards):
    """A model's config block without ``gpus`` (where it runs does not change the fit)
    and without the other family's hyper-parameters."""
    block = config["models"][wildcards.model]
    unused = {"gpus", "active_learning", "network" if block["type"] == "snap" else "snap"}
    settings = {k: v for k, v in block.items() if k not in unused}
    if block["type"] == "finetune":  # the level it starts from, as the fine-tuner needs it
        level = block["level"]
        settings["foundation_level"] = {
            "name": level,
            "block": level_block(level),
        }
    return settings


def model_gpus(wildcards):
    """GPUs a model's training and MD jobs ask for."""
    return cost.model_gpus(config["models"][wildcards.model])


def published_file(wildcards):
    """A published model's file where it is here; where it is not (a plan made before
    it was fetched), none: the job stops naming it (mofglass.needs)."""
    file = config["models"][wildcards.model]["file"]
    return [file] if Path(file).is_file() else []


def model_type_env(model):
    """The conda environment of a model's jobs: LAMMPS for SNAP, the family's own
    for NequIP and Allegro (one environment) and MACE, its level's for a foundation
    model, zero-shot or fine-tuned."""
    kind = config["models"][model]["type"]
    if kind in families.LEVEL_FAMILIES:
        return level_env(config["models"][model]["level"])
    env = {
        "snap": "lammps",
        "nequip": "nequip",
        "allegro": "nequip",
        "mace": "mace",
        "published": "nequip",
    }[kind]
    return f"../envs/{env}.yaml"


def model_env(wildcards):
    return model_type_env(wildcards.model)


def model_type(wildcards):
    return config["models"][wildcards.model]["type"]


def al_models():
    """Models trained by active learning (an ``active_learning`` block)."""
    return [n for n, b in config["models"].items() if b.get("active_learning")]


def structure_file(name=None):
    """A structure as built: the named one, or the config's first."""
    return f"results/structures/{name or next(iter(config['structures']))}.extxyz"


def framework_of(name=None):
    """The framework a structure is, for its published values: a built-in crystal's
    name (builtin:MOF-5 -> MOF-5), else the structure's own name."""
    name = name or next(iter(config["structures"]))
    source = config["structures"][name]["source"]
    return source.removeprefix(BUILTIN_PREFIX) if source.startswith(BUILTIN_PREFIX) else name


def chemistry_file(name=None):
    """The chemistry read from a structure as built (rules/structures.smk)."""
    return structure_file(name).removesuffix(".extxyz") + ".chemistry.json"


def models_running(stage):
    """Models whose ``stages`` include ``stage`` (md, cost, meltquench, mechanics,
    enhanced); every model is evaluated."""
    return [n for n, b in config["models"].items() if stage in b["stages"]]


def md_settings(watched=True):
    """What every MD job is given besides its own block (mofglass.md.RunSpec): the
    config's damping times (fs) and the stability watch's block (none: not watched)."""
    return {
        "thermostat_damping_fs": config["md"]["thermostat_damping_fs"],
        "barostat_damping_fs": config["md"]["barostat_damping_fs"],
        "watch": config["meltquench"]["watch"] if watched else None,
    }
