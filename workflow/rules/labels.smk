# Stage 4, labelling: CP2K single points of the chosen frames in batches, each frame
# behind a quality gate; rejected frames go to quarantine with their reason.


rule label_pool:
    input:
        aimd_trajectories(),
    output:
        "results/labels/pool.extxyz",
    log:
        "logs/labels/pool.log",
    conda:
        "../../envs/mofglass.yaml"
    params:
        stride=config["labels"]["stride"],
        equilibration_steps=config["aimd"]["equilibration_steps"],
    script:
        "../scripts/label_pool.py"


rule label_batch:
    input:
        "results/labels/pool.extxyz",
    output:
        labelled="results/labels/batches/{batch}.extxyz",
        quarantine="results/labels/batches/{batch}.quarantine.extxyz",
    log:
        "logs/labels/batch{batch}.log",
    benchmark:
        "benchmarks/labels/batch{batch}.tsv"
    conda:
        "../../envs/cp2k.yaml"
    threads: cp2k_threads()
    params:
        labels=config["labels"],
        level_name=config["labels"]["level_of_theory"],
        level=config["levels_of_theory"][config["labels"]["level_of_theory"]],
        cp2k=config["cp2k"],
        workdir=lambda wildcards: f"results/labels/cp2k/batch{wildcards.batch}",
    script:
        "../scripts/label_batch.py"


rule labels:
    input:
        label_batch_files(),
    output:
        labelled="results/labels/labelled.extxyz",
        quarantine="results/labels/quarantine.extxyz",
        summary="results/labels/summary.tsv",
    log:
        "logs/labels/merge.log",
    conda:
        "../../envs/mofglass.yaml"
    script:
        "../scripts/merge_labels.py"
