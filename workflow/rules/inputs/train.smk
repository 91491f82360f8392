# Input and params functions of rules/train.smk: models and their datasets.
# Functions live apart from rules (snakemake --lint); this file is included by it.


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


def trained_models():
    """Models trained here (published and foundation models are not: no learning curve)."""
    return [n for n, b in config["models"].items() if b["type"] not in ("published", "foundation")]


def model_files():
    files = expand(
        "results/models/{model}/{name}", model=config["models"], name=["model.json", "metrics.csv"]
    )
    files += expand("results/models/{model}/cost.csv", model=models_running("cost"))
    return files + expand("results/models/{model}/learning_curve.csv", model=trained_models())


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
