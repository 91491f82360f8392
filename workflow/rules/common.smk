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


def structure_source(wildcards):
    """The user's structure file, so that editing it reruns what depends on it."""
    source = config["structures"][wildcards.structure]["source"]
    return [] if source.startswith(BUILTIN_PREFIX) else [source]


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


# Cluster requests (see mofglass.resources and profiles/README.md): time in minutes and
# memory in MB, estimated from the atoms and the work of each job, doubled per retry.


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


def structure_files():
    return expand("results/structures/{structure}.extxyz", structure=config["structures"])


def scaled_structure_files():
    return sorted({f"results/structures/{r.structure}/V{r.volume}.extxyz" for r in AIMD_RUNS})


def aimd_trajectories():
    return [f"results/aimd/{r.name}/trajectory.extxyz" for r in AIMD_RUNS]


def aimd_thermo_tables():
    return [f"results/aimd/{r.name}/thermo.tsv" for r in AIMD_RUNS]


def datasets_with(selector):
    """Names of the datasets whose selector is one of ``selector``."""
    return [n for n, b in config["datasets"].items() if b["selector"] in selector]


def selection_files(datasets=None):
    return expand(
        "results/selection/{dataset}/selection.csv",
        dataset=config["datasets"] if datasets is None else datasets,
    )


def labelling(level, workdir):
    """The fields of a stage's Labelling (mofglass.labels) at ``level``, in ``workdir``."""
    return {
        "level_name": level,
        "level": level_block(level),
        "labels": config["labels"],
        "cp2k": config["cp2k"],
        "workdir": workdir,
    }


def label_batch_files(level, kind=""):
    """Batch outputs of a level: labelled (kind "") or quarantined (kind "quarantine.")."""
    return expand(
        "results/labels/{level}/batches/{batch:04d}.{kind}extxyz",
        level=level,
        batch=range(plan.label_batches(config, level)),
        kind=kind,
    )


def dataset_inputs(wildcards):
    """A dataset's selection plus its labels: the level's labelling output, or the
    AIMD trajectories it takes its labels from."""
    block = config["datasets"][wildcards.dataset]
    inputs = {"selection": f"results/selection/{wildcards.dataset}/selection.csv"}
    if block["labels_from"] == "single_point":
        level = block["level_of_theory"]
        inputs["labelled"] = f"results/labels/{level}/labelled.extxyz"
        inputs["label_quarantine"] = f"results/labels/{level}/quarantine.extxyz"
    else:
        inputs["trajectories"] = aimd_trajectories()
    return inputs


def dataset_files():
    return expand(
        "results/datasets/{dataset}/{name}",
        dataset=config["datasets"],
        name=["train.extxyz", "test.extxyz", "validation.extxyz", "lineage.csv"],
    )


def al_models():
    """Models trained by active learning (an ``active_learning`` block)."""
    return [n for n, b in config["models"].items() if b.get("active_learning")]


def models_of_type(*kinds):
    """Models of these types trained once on a dataset (not by active learning)."""
    return [n for n, b in config["models"].items() if b["type"] in kinds and n not in al_models()]


def model_level(model):
    """Level of theory of a model's labels: its dataset's, or its loop's."""
    block = config["models"][model]
    loop = block.get("active_learning") or {}
    if loop.get("level_of_theory"):
        return loop["level_of_theory"]
    return config["datasets"][block["dataset"]]["level_of_theory"]


def model_labels(model):
    """The level of theory of a model's labels, in words (the report's Models table)."""
    block = config["models"][model]
    if block["type"] == "published":
        return "its authors'"
    if block["type"] == "foundation":
        zero_shot = levels.describe(block["level"], config["levels_of_theory"])
        return f"zero-shot: {zero_shot}"
    return levels.describe(model_level(model), config["levels_of_theory"])


def split_files(directory):
    files = {s: f"{directory}/{s}.extxyz" for s in ("train", "validation", "test")}
    files["lineage"] = f"{directory}/lineage.csv"
    return files


def model_dataset_files(wildcards):
    """The splits and lineage a model trains on: its dataset's, or what its active
    learning loop labelled."""
    if wildcards.model in al_models():
        return split_files(f"results/active_learning/{wildcards.model}/dataset")
    return split_files(f"results/datasets/{config['models'][wildcards.model]['dataset']}")


def structure_file(name=None):
    """A structure as built: the named one, or the config's first."""
    return f"results/structures/{name or next(iter(config['structures']))}.extxyz"


def framework_of(name=None):
    """The framework a structure is, for its published values: a built-in crystal's
    name (builtin:MOF-5 -> MOF-5), else the structure's own name."""
    name = name or next(iter(config["structures"]))
    source = config["structures"][name]["source"]
    return source.removeprefix(BUILTIN_PREFIX) if source.startswith(BUILTIN_PREFIX) else name


def report_frameworks():
    """Framework of each mechanics sample group and enhanced run (``<model>/<bias>``)."""
    found = {name: framework_of(name) for name in config["structures"]}
    found["glass"] = framework_of(config["meltquench"]["structure"])
    for model in enhanced_models():
        for bias, block in config["enhanced_sampling"]["biases"].items():
            found[f"{model}/{bias}"] = framework_of(block["structure"])
    for system, block in config["coexistence"]["systems"].items():
        found[system] = framework_of(block["structure"])
    return found


def repair_block(wildcards):
    return config["levels_of_theory"][wildcards.repaired]


def repair_params(*keys):
    """A params function: the repaired level's base and those keys of its repair block
    (each job gets what changes its result, so that a change elsewhere reruns nothing)."""

    def params(wildcards):
        block = repair_block(wildcards)
        repair = {key: block["repair"][key] for key in keys if key in block["repair"]}
        return {"base": block["base"], "repair": repair}

    return params


def repair_structure(wildcards):
    return repair_block(wildcards)["repair"]["structure"]


def repair_files():
    """The fitted term of every repaired level the config uses, with its tables."""
    names = levels.repaired(config)
    files = ["term.json", "points.csv", "pull.csv", "dft_pull.csv", "repair.png"]
    return expand("results/repair/{repaired}/{file}", repaired=names, file=files)


def chemistry_file(name=None):
    """The chemistry read from a structure as built (rules/structures.smk)."""
    return structure_file(name).removesuffix(".extxyz") + ".chemistry.json"


def aimd_chemistry_files():
    """The chemistry of every structure the reference MD runs."""
    return [chemistry_file(name) for name in sorted({run.structure for run in AIMD_RUNS})]


def md_structure_file(part):
    """The structure an md block (check, cost) runs on."""
    return structure_file(config["md"][part]["structure"])


def models_running(stage):
    """Models whose ``stages`` include ``stage`` (md, cost, meltquench, mechanics,
    enhanced); every model is evaluated."""
    return [n for n, b in config["models"].items() if stage in b["stages"]]


def meltquench_models():
    return models_running("meltquench") if config["meltquench"]["enabled"] else []


def committee_models():
    """Models trained with a committee (models.<m>.committee)."""
    return [n for n, b in config["models"].items() if b.get("committee")]


def meltquench_committee_files(name):
    """A file of every melt-quench run of a model with a committee."""
    return [f for f in meltquench_files(name) if f.split("/")[2] in committee_models()]


def meltquench_files(name):
    """A file of every melt-quench run, (model, replica)."""
    return expand(
        "results/meltquench/{model}/replica{replica}/{name}",
        model=meltquench_models(),
        replica=range(config["meltquench"]["replicas"]),
        name=name,
    )


def md_damping():
    return {
        "thermostat_damping_fs": config["md"]["thermostat_damping_fs"],
        "barostat_damping_fs": config["md"]["barostat_damping_fs"],
    }


def trained_models():
    """Models trained here (published and foundation models are not: no learning curve)."""
    return [n for n, b in config["models"].items() if b["type"] not in ("published", "foundation")]


def model_files():
    files = expand(
        "results/models/{model}/{name}", model=config["models"], name=["model.json", "metrics.csv"]
    )
    files += expand("results/models/{model}/cost.csv", model=models_running("cost"))
    return files + expand("results/models/{model}/learning_curve.csv", model=trained_models())


def analysis_sources():
    """What the analysis stage looks at, by name: each structure as built, the end of
    every AIMD run, and the config's extra structure sets (globs expanded); each with
    the temperature (K) its PMFs are taken at, and where that temperature comes from."""
    static = {
        "temperature_K": config["analysis"]["pmf_temperature_K"],
        "temperature_from": "analysis.pmf_temperature_K: static structures",
    }
    sources = {}
    for name in config["structures"]:
        sources[f"structure/{name}"] = {
            "files": [f"results/structures/{name}.extxyz"],
            "independent": True,
            "last_frames": None,
            "reference": None,
            "chemistry": chemistry_file(name),
            **static,
        }
    if config["analysis"]["aimd"]:
        for run in AIMD_RUNS:
            sources[f"aimd/{run.name}"] = {
                "files": [f"results/aimd/{run.name}/trajectory.extxyz"],
                "independent": False,
                "last_frames": config["analysis"]["last_frames"],
                "reference": None,
                "chemistry": chemistry_file(run.structure),
                "temperature_K": run.temperature_K,
                "temperature_from": "the run's thermostat",
            }
    for model in meltquench_models():
        sources[f"meltquench/{model}"] = {
            "files": expand(
                "results/meltquench/{model}/replica{replica}/final.extxyz",
                model=model,
                replica=range(config["meltquench"]["replicas"]),
            ),
            "independent": config["meltquench"]["replicas"] > 1,
            "last_frames": None,
            "reference": structure_file(config["meltquench"]["structure"]),
            "chemistry": chemistry_file(config["meltquench"]["structure"]),
            "temperature_K": config["meltquench"]["start_temperature_K"],
            "temperature_from": "the melt-quench's final stage",
        }
    for name, patterns in config["analysis"]["structures"].items():
        files = sorted({f for p in patterns for f in (glob.glob(p) or [p])})
        sources[f"set/{name}"] = {
            "files": files,
            "independent": True,
            "last_frames": None,
            "reference": None,
            "chemistry": None,
            **static,
        }
    return sources


# computed once: it expands the config's globs
ANALYSIS_SOURCES = analysis_sources()


# Cross-checks (rules/cross_check.smk)


def cross_check_datasets():
    """Datasets whose test split is labelled at the second level."""
    block = config["cross_check"]
    level = block["level_of_theory"]
    if not block["enabled"] or level is None:
        return []
    names = block["datasets"] if block["datasets"] is not None else list(config["datasets"])
    return [n for n in names if config["datasets"][n]["level_of_theory"] != level]


def cross_check_files():
    block = config["cross_check"]
    if not block["enabled"]:
        return []
    files = expand("results/cross_check/{dataset}/errors.csv", dataset=cross_check_datasets())
    if block["glasses"]:
        files += expand("results/cross_check/glasses/{model}.csv", model=meltquench_models())
    return files


# Active learning (rules/active_learning.smk): iteration k lives in al_dir(model, k).


def al_loop(model):
    """A model's active-learning block, with its committee's trust window (eV/Å), which
    selection by committee uses."""
    block = config["models"][model]
    trust = (block.get("committee") or {}).get("trust")
    return {**block["active_learning"], "trust": trust}


def al_dir(model, iteration):
    return f"results/active_learning/{model}/iter{int(iteration):03d}"


def al_structure(model):
    return structure_file(al_loop(model)["structure"])


def al_runs(model, iteration):
    return range(alearn.runs_at(al_loop(model), int(iteration)))


def al_batches(model, iteration):
    loop = al_loop(model)
    return range(alearn.label_batches(loop, int(iteration), config["labels"]["batch_size"]))


def al_previous(wildcards):
    """The state and labelled set after the previous iteration (none at iteration 0)."""
    k = int(wildcards.iteration)
    if k == 0:
        return {}
    before = al_dir(wildcards.model, k - 1)
    return {"state": f"{before}/state.json", **split_files(f"{before}/dataset")}


def al_explore_inputs(wildcards):
    inputs = {
        "structure": al_structure(wildcards.model),
        "chemistry": chemistry_file(al_loop(wildcards.model)["structure"]),
    }
    if int(wildcards.iteration) > 0:
        inputs["state"] = al_previous(wildcards)["state"]
    return inputs


def al_explored(wildcards, kind="extxyz"):
    here = al_dir(wildcards.model, wildcards.iteration)
    return [
        f"{here}/explore/run{r:03d}.{kind}" for r in al_runs(wildcards.model, wildcards.iteration)
    ]


def al_select_inputs(wildcards):
    return {
        **al_previous(wildcards),
        "structure": al_structure(wildcards.model),
        "chemistry": chemistry_file(al_loop(wildcards.model)["structure"]),
        "explored": al_explored(wildcards),
    }


def al_start_files(model):
    """Iteration 0's labelled set with start dataset: the model's dataset."""
    directory = f"results/datasets/{config['models'][model]['dataset']}"
    return {**split_files(directory), "quarantine": f"{directory}/quarantine.extxyz"}


def al_train_inputs(wildcards):
    model, k = wildcards.model, int(wildcards.iteration)
    here = al_dir(model, k)
    inputs = {
        "structure": al_structure(model),
        "chemistry": chemistry_file(al_loop(model)["structure"]),
    }
    if k == 0 and al_loop(model)["start"] == "dataset":
        return {**inputs, **{f"previous_{n}": f for n, f in al_start_files(model).items()}}
    if k > 0:
        before = al_dir(model, k - 1)
        inputs["state"] = f"{before}/state.json"
        inputs.update({f"previous_{n}": f for n, f in split_files(f"{before}/dataset").items()})
        inputs["previous_quarantine"] = f"{before}/dataset/quarantine.extxyz"
    batches = al_batches(model, k)
    inputs["fresh"] = [f"{here}/labels/{b:04d}.extxyz" for b in batches]
    inputs["quarantined"] = [f"{here}/labels/{b:04d}.quarantine.extxyz" for b in batches]
    inputs["label_costs"] = [f"{here}/labels/{b:04d}.cost.csv" for b in batches]
    inputs["selection"] = f"{here}/selection.csv"
    inputs["coverage"] = f"{here}/coverage.json"
    inputs["explore_summaries"] = al_explored(wildcards, "csv")
    return inputs


def al_last(model):
    return al_dir(model, al_loop(model)["max_iterations"])


# Mechanics (rules/mechanics.smk): samples by name, each with its group (the glass
# replicas average together) and its file; a glass's file is its model's melt-quench.

MECHANICS_FIGURES = {
    "eos": "eos",
    "fluctuations": "fluctuations/running",
    "expansion": "expansion",
    "vdos": "vdos",
}
MECHANICS_COMMON = ("temperature_K", "timestep_fs", "thermo_every", "segment_ps", "seed", "blocks")


def mechanics_samples():
    block = config["mechanics"]
    if not block["enabled"]:
        return {}
    samples = {}
    for name in block["crystals"]:
        samples[name] = {
            "group": name,
            "kind": "crystal",
            "file": structure_file(name),
            "chemistry": chemistry_file(name),
        }
    if block["glasses"] and config["meltquench"]["enabled"]:
        for replica in range(config["meltquench"]["replicas"]):
            samples[f"glass{replica}"] = {
                "group": "glass",
                "kind": "glass",
                "file": f"results/meltquench/{{model}}/replica{replica}/final.extxyz",
                "chemistry": chemistry_file(config["meltquench"]["structure"]),
            }
    for name, patterns in block["structures"].items():
        files = sorted({f for p in patterns for f in (glob.glob(p) or [p])})
        for k, path in enumerate(files):
            samples[f"{name}-{k}"] = {"group": name, "kind": "set", "file": path, "chemistry": []}
    return samples


MECHANICS_SAMPLES = mechanics_samples()


def mechanics_part_samples(part):
    """The samples that a mechanics part (eos, fluctuations, expansion, vdos) runs on:
    those of the kinds its ``kinds`` names."""
    kinds = config["mechanics"][part]["kinds"]
    return [name for name, s in MECHANICS_SAMPLES.items() if s["kind"] in kinds]


def mechanics_models():
    wanted = config["mechanics"].get("models")
    return [m for m in models_running("mechanics") if wanted is None or m in wanted]


def mechanics_block(part):
    """A mechanics sub-block with the shared settings filled in where it has none."""
    block = config["mechanics"]
    return {**{k: block[k] for k in MECHANICS_COMMON}, **block[part]}


def mechanics_sample_file(wildcards):
    return MECHANICS_SAMPLES[wildcards.sample]["file"].format(model=wildcards.model)


def mechanics_chemistry_file(wildcards):
    """The chemistry of a sample's structure (none for a user's structure set)."""
    return MECHANICS_SAMPLES[wildcards.sample]["chemistry"]


def mechanics_volumes():
    return [f"{s:.3f}" for s in config["mechanics"]["eos"]["volume_scales"]]


def mechanics_expansion_points():
    """(T, P) of the expansion scans, as wildcard strings: T at the lowest pressure,
    P at ``at_K``."""
    block = mechanics_block("expansion")
    p0 = min(block["pressures_GPa"])
    points = {(float(t), p0) for t in block["temperatures_K"]}
    points |= {(float(block["at_K"]), float(p)) for p in block["pressures_GPa"]}
    return [f"T{t:g}_P{p:.3f}" for t, p in sorted(points)]


def mechanics_files(name):
    """A per-sample file of every (model, sample)."""
    return expand(
        "results/mechanics/{model}/{sample}/{name}",
        model=mechanics_models(),
        sample=MECHANICS_SAMPLES,
        name=name,
    )


# Enhanced sampling (rules/enhanced.smk)


def enhanced_models():
    block = config["enhanced_sampling"]
    if not block["enabled"]:
        return []
    return [
        m for m in models_running("enhanced") if block["models"] is None or m in block["models"]
    ]


def enhanced_files(name):
    return expand(
        "results/enhanced/{model}/{bias}/{name}",
        model=enhanced_models(),
        bias=config["enhanced_sampling"]["biases"],
        name=name,
    )


# Phase classification (rules/phases.smk): each class's frames come from MD of a
# structure at temperatures (rule phases_md) or from the melt-quench glasses.


def phases_class_files(wildcards):
    """The frames of each class, and the chemistry whose metal the classifier describes
    (the melt-quench structure's)."""
    block = config["phases"]
    files = {"chemistry": chemistry_file(config["meltquench"]["structure"])}
    for name, source in block["classes"].items():
        if source.get("meltquench_final"):
            files[name] = expand(
                "results/meltquench/{model}/replica{replica}/final.extxyz",
                model=block["model"],
                replica=range(config["meltquench"]["replicas"]),
            )
        else:
            files[name] = expand(
                "results/phases/md/{phase}/T{temperature}/frames.extxyz",
                phase=name,
                temperature=[f"{t:g}" for t in source["temperatures_K"]],
            )
    return files


def phases_files():
    block = config["phases"]
    if not block["enabled"]:
        return []
    files = ["results/phases/metrics.csv"]
    if config["meltquench"]["enabled"]:
        files += expand(
            "results/phases/meltquench/{model}/replica{replica}/fractions.csv",
            model=block["model"],
            replica=range(config["meltquench"]["replicas"]),
        )
    return files


def phases_env(wildcards):
    return model_type_env(config["phases"]["model"])


# Coexistence (rules/coexistence.smk)


def coexistence_model():
    block = config["coexistence"]
    return block["model"] or config["phases"]["model"]


def coexistence_model_file(wildcards):
    return f"results/models/{coexistence_model()}/model.json"


def coexistence_env(wildcards):
    return model_type_env(coexistence_model())


def coexistence_system(wildcards):
    return config["coexistence"]["systems"][wildcards.system]


def coexistence_settings(wildcards):
    """The system's block, with the classifier's symmetry functions."""
    return {
        **coexistence_system(wildcards),
        "symmetry_functions": config["phases"]["symmetry_functions"],
    }


def coexistence_ladder(wildcards, name):
    temperatures = coexistence_system(wildcards)["temperatures_K"]
    return [f"results/coexistence/{wildcards.system}/T{t:g}/{name}" for t in temperatures]


def coexistence_files():
    block = config["coexistence"]
    if not block["enabled"]:
        return []
    return expand("results/coexistence/{system}/transition.csv", system=block["systems"])


def coexistence_report():
    files = coexistence_files()
    figures = [f.replace("transition.csv", "fractions.png") for f in files]
    return {"coexistence_tables": files, "coexistence_figures": figures} if files else {}


# Mechanics MD jobs (rules/mechanics.smk)


def sample_run(scan, workdir):
    """The fields of a mechanics MD job's SampleRun (mofglass.jobs.mechanics): its model
    file, sample, scan block, damping, watch and the engine's work directory."""

    def fields(wildcards, input):
        where = workdir.format(**dict(wildcards.items()))
        return {
            "model_file": input.model,
            "sample": wildcards.sample,
            "sample_file": input.structure,
            "block": mechanics_block(scan),
            "damping": md_damping(),
            "watch": config["meltquench"]["watch"],
            "workdir": f"results/mechanics/{wildcards.model}/{wildcards.sample}/{where}/lammps",
            "chemistry_file": mechanics_chemistry_file(wildcards) or None,
        }

    return fields


# The report (rules/report.smk): each stage names the files of its section
# (mofglass.report.<stage>); the report builds no path of its own.


def selection_report():
    figures = []
    for name, block in config["datasets"].items():
        figures.append(f"results/selection/{name}/energy_distribution.png")
        if block["selector"] == "cbad":
            figures.append(f"results/selection/{name}/cbad_coverage.png")
    return {"selection_tables": selection_files(), "selection_figures": figures}


def train_report():
    figures = []
    for model in config["models"]:
        figures.append(f"results/models/{model}/parity.png")
        if model in trained_models():
            figures.append(f"results/models/{model}/learning_curve.png")
        if model in models_running("cost"):
            figures.append(f"results/models/{model}/cost.png")
        if model in models_running("md"):
            figures.append(f"results/md/{model}/check/temperature.png")
    return {
        "models_metrics": expand("results/models/{model}/metrics.csv", model=config["models"]),
        "models_committee": expand("results/models/{model}/committee.csv", model=config["models"]),
        "models_cost": expand("results/models/{model}/cost.csv", model=models_running("cost")),
        "models_md": expand("results/md/{model}/check/verdict.tsv", model=models_running("md")),
        "models_figures": figures,
        # every model file, so the report follows a retrained model
        "models_files": model_files() + dataset_files(),
    }


def active_learning_report():
    return {
        "al_records": expand("results/active_learning/{model}/records.csv", model=al_models()),
        "al_figures": expand("results/active_learning/{model}/records.png", model=al_models()),
    }


def meltquench_report():
    if not meltquench_files("verdict.tsv"):
        return {}
    return {
        "meltquench_verdicts": ["results/meltquench/verdicts.tsv"],
        "meltquench_figures": meltquench_files("temperature.png")
        + meltquench_committee_files("committee.png"),
        "meltquench_committees": meltquench_committee_files("committee.csv"),
    }


def analysis_report():
    return {
        "analysis_summaries": expand(
            "results/analysis/{source}/summary.csv", source=ANALYSIS_SOURCES
        ),
        "analysis_figures": expand(
            "results/analysis/{source}/{name}.png",
            source=ANALYSIS_SOURCES,
            name=["rdf", "angles"],
        ),
    }


def cross_check_report():
    files = cross_check_files()
    return {
        "cross_check_levels": [f for f in files if "/glasses/" not in f],
        "cross_check_glasses": [f for f in files if "/glasses/" in f],
    }


def mechanics_report():
    if not MECHANICS_SAMPLES:
        return {}
    return {
        "mechanics_summaries": expand(
            "results/mechanics/{model}/summary.csv", model=mechanics_models()
        ),
        "mechanics_figures": [
            path
            for part, name in MECHANICS_FIGURES.items()
            for path in expand(
                "results/mechanics/{model}/{sample}/{name}.png",
                model=mechanics_models(),
                sample=mechanics_part_samples(part),
                name=name,
            )
        ],
    }


def enhanced_report():
    return {
        "enhanced_barriers": enhanced_files("barrier.csv"),
        "enhanced_figures": enhanced_files(["fes.png", "convergence.png"]),
    }


def phases_report():
    if not config["phases"]["enabled"]:
        return {}
    figures = ["results/phases/confusion.png"]
    figures += [f.replace(".csv", ".png") for f in phases_files()[1:]]
    return {"phases_metrics": phases_files()[:1], "phases_figures": figures}


def repair_report():
    names = levels.repaired(config)
    files = lambda name: expand("results/repair/{level}/{name}", level=names, name=name)
    return {
        "repair_terms": files("term.json"),
        "repair_dft_pulls": files("dft_pull.csv"),
        "repair_pulls": files("pull.csv"),
        "repair_figures": files("repair.png"),
    }


def report_inputs(wildcards):
    """Every stage's report files, by name."""
    return {
        key: files
        for stage in (
            repair_report,
            selection_report,
            train_report,
            active_learning_report,
            meltquench_report,
            analysis_report,
            cross_check_report,
            mechanics_report,
            enhanced_report,
            phases_report,
            coexistence_report,
        )
        for key, files in stage().items()
    }


# The kinds of figure and table with a caption, workflow/report/<kind>.rst: listed, not
# globbed, as a workflow used as a module from a remote source has no folder to glob
# (tests/test_style.py checks the list against the folder).
CAPTIONED = (
    "analysis_summary",
    "angles",
    "barrier_table",
    "cbad_coverage",
    "coexistence",
    "committee",
    "confusion",
    "convergence",
    "cost",
    "energy_distribution",
    "eos",
    "expansion",
    "fes",
    "fractions",
    "learning_curve",
    "md_verdict",
    "mechanics_summary",
    "meltquench_verdicts",
    "metrics_table",
    "model_comparison",
    "parity",
    "phases_metrics",
    "rdf",
    "records",
    "records_table",
    "repair",
    "running",
    "temperature",
    "transition",
    "vdos",
)


def report_captions():
    """What each figure shows, by file stem: workflow/report/<stem>.rst, the captions
    of Snakemake's own report too."""
    out = {}
    for stem in CAPTIONED:
        with open(workflow.source_path(f"../report/{stem}.rst"), encoding="utf-8") as handle:
            out[stem] = handle.read().strip()
    return out
