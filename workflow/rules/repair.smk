# Stage 2, repair: a repaired level of theory (a calculator level plus a pair term on
# its soft bond) learnt from DFT single points of fragments cut from a structure: the
# geometries, CP2K's single points (or the shipped ones), the base level on them, the fit.


include: "inputs/repair.smk"


rule repair_points:
    input:
        structure=lambda wildcards: structure_file(repair_structure(wildcards)),
        chemistry=lambda wildcards: chemistry_file(repair_structure(wildcards)),
    output:
        "results/repair/{repaired}/points.extxyz",
    log:
        "logs/repair/{repaired}/points.log",
    localrule: True
    conda:
        "../envs/mofglass.yaml"
    params:
        block=repair_params("structure", "points"),
    script:
        "../scripts/repair_points.py"


rule repair_dft:
    input:
        "results/repair/{repaired}/points.extxyz",
    output:
        dft="results/repair/{repaired}/dft.extxyz",
        quarantine="results/repair/{repaired}/dft_quarantine.extxyz",
    log:
        "logs/repair/{repaired}/dft.log",
    benchmark:
        "benchmarks/repair/{repaired}/dft.tsv"
    conda:
        "../envs/cp2k.yaml"
    threads: cp2k_threads()
    resources:
        **job_resources("repair_dft", cp2k=True),
    params:
        block=repair_params("shipped"),
        labelling=lambda wildcards: labelling(
            repair_block(wildcards)["repair"]["level_of_theory"],
            f"results/repair/{wildcards.repaired}/cp2k",
        ),
    script:
        "../scripts/repair_dft.py"


rule repair_base:
    input:
        "results/repair/{repaired}/dft.extxyz",
    output:
        "results/repair/{repaired}/base.extxyz",
    log:
        "logs/repair/{repaired}/base.log",
    benchmark:
        "benchmarks/repair/{repaired}/base.tsv"
    conda:
        lambda wildcards: level_env(repair_block(wildcards)["base"])
    params:
        labelling=lambda wildcards: labelling(
            repair_block(wildcards)["base"], f"results/repair/{wildcards.repaired}/base"
        ),
    script:
        "../scripts/repair_base.py"


rule repair_fit:
    input:
        dft="results/repair/{repaired}/dft.extxyz",
        base="results/repair/{repaired}/base.extxyz",
        chemistry=lambda wildcards: chemistry_file(repair_structure(wildcards)),
    output:
        term="results/repair/{repaired}/term.json",
        points="results/repair/{repaired}/points.csv",
        dft_pull="results/repair/{repaired}/dft_pull.csv",
    log:
        "logs/repair/{repaired}/fit.log",
    localrule: True
    conda:
        "../envs/mofglass.yaml"
    params:
        block=repair_params("level_of_theory", "shipped", "term", "fit"),
    script:
        "../scripts/repair_fit.py"


rule repair_pull:
    input:
        structure=lambda wildcards: structure_file(repair_structure(wildcards)),
        chemistry=lambda wildcards: chemistry_file(repair_structure(wildcards)),
        term="results/repair/{repaired}/term.json",
        dft_pull="results/repair/{repaired}/dft_pull.csv",
    output:
        pull="results/repair/{repaired}/pull.csv",
        figure=report(
            "results/repair/{repaired}/repair.png",
            caption="../report/repair.rst",
            category="2. Repair",
        ),
    log:
        "logs/repair/{repaired}/pull.log",
    benchmark:
        "benchmarks/repair/{repaired}/pull.tsv"
    conda:
        lambda wildcards: level_env(repair_block(wildcards)["base"])
    params:
        block=repair_params("pull_A"),
        labelling=lambda wildcards: labelling(
            repair_block(wildcards)["base"], f"results/repair/{wildcards.repaired}/base"
        ),
    script:
        "../scripts/repair_pull.py"


rule repair:
    input:
        repair_files(),
