# Input and params functions of rules/structures.smk: the structures as built and scaled.
# Functions live apart from rules (snakemake --lint); this file is included by it.


def structure_source(wildcards):
    """The user's structure file, so that editing it reruns what depends on it."""
    source = config["structures"][wildcards.structure]["source"]
    return [] if source.startswith(BUILTIN_PREFIX) else [source]


def structure_files():
    return expand("results/structures/{structure}.extxyz", structure=config["structures"])


def scaled_structure_files():
    return sorted({f"results/structures/{r.structure}/V{r.volume}.extxyz" for r in AIMD_RUNS})
