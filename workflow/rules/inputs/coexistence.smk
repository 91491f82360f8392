# Input and params functions of rules/coexistence.smk: the coexistence runs.
# Functions live apart from rules (snakemake --lint); this file is included by it.


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
