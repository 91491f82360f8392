# Input and params functions of rules/enhanced.smk: the metadynamics runs.
# Functions live apart from rules (snakemake --lint); this file is included by it.


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


def enhanced_report():
    return {
        "enhanced_barriers": enhanced_files("barrier.csv"),
        "enhanced_figures": enhanced_files(["fes.png", "convergence.png"]),
    }
