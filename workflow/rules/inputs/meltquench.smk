# Input and params functions of rules/meltquench.smk: the melt-quench runs.
# Functions live apart from rules (snakemake --lint); this file is included by it.


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


def meltquench_report():
    if not meltquench_files("verdict.tsv"):
        return {}
    return {
        "meltquench_verdicts": ["results/meltquench/verdicts.tsv"],
        "meltquench_figures": meltquench_files("temperature.png")
        + meltquench_committee_files("committee.png"),
        "meltquench_committees": meltquench_committee_files("committee.csv"),
    }
