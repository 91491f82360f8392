# Input and params functions of rules/aimd.smk: the reference MD runs.
# Functions live apart from rules (snakemake --lint); this file is included by it.


def aimd_trajectories():
    return [f"results/aimd/{r.name}/trajectory.extxyz" for r in AIMD_RUNS]


def aimd_thermo_tables():
    return [f"results/aimd/{r.name}/thermo.tsv" for r in AIMD_RUNS]


def aimd_chemistry_files():
    """The chemistry of every structure the reference MD runs."""
    return [chemistry_file(name) for name in sorted({run.structure for run in AIMD_RUNS})]
