# Input and params functions of rules/mechanics.smk: the mechanics samples by name, each with its group (the glass
# replicas average together) and its file; a glass's file is its model's melt-quench.
# Functions live apart from rules (snakemake --lint); this file is included by it.


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


def sample_run(scan, workdir):
    """The fields of a mechanics MD job's SampleRun (mofglass.jobs.mechanics): its model
    file, sample, scan block, MD settings and the engine's work directory."""

    def fields(wildcards, input):
        where = workdir.format(**dict(wildcards.items()))
        return {
            "model_file": input.model,
            "sample": wildcards.sample,
            "sample_file": input.structure,
            "block": mechanics_block(scan),
            "md": md_settings(),
            "workdir": f"results/mechanics/{wildcards.model}/{wildcards.sample}/{where}/lammps",
            "chemistry_file": mechanics_chemistry_file(wildcards) or None,
        }

    return fields


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
