# Input and params functions of rules/analysis.smk: what the analysis looks at.
# Functions live apart from rules (snakemake --lint); this file is included by it.


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
