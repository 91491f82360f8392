# Input and params functions of rules/phases.smk: the phase classifier: each class's frames come from MD of a structure at
# temperatures (rule phases_md) or from the melt-quench glasses.
# Functions live apart from rules (snakemake --lint); this file is included by it.


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


def phases_report():
    if not config["phases"]["enabled"]:
        return {}
    figures = ["results/phases/confusion.png"]
    figures += [f.replace(".csv", ".png") for f in phases_files()[1:]]
    return {"phases_metrics": phases_files()[:1], "phases_figures": figures}
