# Input and params functions of rules/selection.smk: the selected frames.
# Functions live apart from rules (snakemake --lint); this file is included by it.


def datasets_with(selector):
    """Names of the datasets whose selector is one of ``selector``."""
    return [n for n, b in config["datasets"].items() if b["selector"] in selector]


def selection_files(datasets=None):
    return expand(
        "results/selection/{dataset}/selection.csv",
        dataset=config["datasets"] if datasets is None else datasets,
    )


def selection_report():
    figures = []
    for name, block in config["datasets"].items():
        figures.append(f"results/selection/{name}/energy_distribution.png")
        if block["selector"] == "cbad":
            figures.append(f"results/selection/{name}/cbad_coverage.png")
    return {"selection_tables": selection_files(), "selection_figures": figures}
