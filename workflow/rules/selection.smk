# Stage 4, selection: the pool of AIMD frames, and per dataset its train/test/validation
# split by flat-histogram, random or CBAD selection, with a lineage table and figures.


include: "inputs/selection.smk"


rule pool:
    input:
        thermo=aimd_thermo_tables(),
        trajectories=aimd_trajectories(),
    output:
        "results/selection/pool.csv",
    log:
        "logs/selection/pool.log",
    localrule: True
    conda:
        "../envs/mofglass.yaml"
    params:
        runs=AIMD_RUNS,
        equilibration_steps=config["aimd"]["equilibration_steps"],
    script:
        "../scripts/pool.py"


rule select:
    input:
        "results/selection/pool.csv",
    output:
        selection="results/selection/{dataset}/selection.csv",
        figure=report(
            "results/selection/{dataset}/energy_distribution.png",
            caption="../report/energy_distribution.rst",
            category="4. Selection",
            subcategory="{dataset}",
        ),
    log:
        "logs/selection/{dataset}.log",
    wildcard_constraints:
        dataset=names_alternation(datasets_with(selector=["flat_histogram", "random"])),
    localrule: True
    conda:
        "../envs/mofglass.yaml"
    params:
        block=lambda wildcards: config["datasets"][wildcards.dataset],
    script:
        "../scripts/select.py"


rule select_cbad:
    input:
        pool="results/selection/pool.csv",
        trajectories=aimd_trajectories(),
        chemistry=aimd_chemistry_files(),
    output:
        selection="results/selection/{dataset}/selection.csv",
        figure=report(
            "results/selection/{dataset}/energy_distribution.png",
            caption="../report/energy_distribution.rst",
            category="4. Selection",
            subcategory="{dataset}",
        ),
        coverage="results/selection/{dataset}/cbad_coverage.csv",
        coverage_figure=report(
            "results/selection/{dataset}/cbad_coverage.png",
            caption="../report/cbad_coverage.rst",
            category="4. Selection",
            subcategory="{dataset}",
        ),
    log:
        "logs/selection/{dataset}.log",
    benchmark:
        "benchmarks/selection/{dataset}.tsv"
    wildcard_constraints:
        dataset=names_alternation(datasets_with(selector=["cbad"])),
    conda:
        "../envs/mofglass.yaml"
    threads: 2
    params:
        block=lambda wildcards: config["datasets"][wildcards.dataset],
    script:
        "../scripts/select.py"


rule selection:
    input:
        selection_files(),
