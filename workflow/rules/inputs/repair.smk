# Input and params functions of rules/repair.smk: the repaired levels of theory.
# Functions live apart from rules (snakemake --lint); this file is included by it.


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


def repair_report():
    names = levels.repaired(config)
    files = lambda name: expand("results/repair/{level}/{name}", level=names, name=name)
    return {
        "repair_terms": files("term.json"),
        "repair_dft_pulls": files("dft_pull.csv"),
        "repair_pulls": files("pull.csv"),
        "repair_figures": files("repair.png"),
    }
