# Stage 5, labelling: per level of theory, CP2K single points of every frame the
# datasets relabelled at that level selected, in batches, each frame behind a quality
# gate; then each dataset's labelled splits and lineage.


include: "inputs/labels.smk"


rule label_requests:
    input:
        selections=lambda wildcards: selection_files(relabelled[wildcards.level]),
        trajectories=aimd_trajectories(),
    output:
        "results/labels/{level}/requests.extxyz",
    log:
        "logs/labels/{level}/requests.log",
    localrule: True
    conda:
        "../envs/mofglass.yaml"
    script:
        "../scripts/label_requests.py"


rule label_batch:
    input:
        "results/labels/{level}/requests.extxyz",
        repair=lambda wildcards: level_files(wildcards.level),
    output:
        labelled="results/labels/{level}/batches/{batch}.extxyz",
        quarantine="results/labels/{level}/batches/{batch}.quarantine.extxyz",
    log:
        "logs/labels/{level}/batch{batch}.log",
    benchmark:
        "benchmarks/labels/{level}/batch{batch}.tsv"
    conda:
        lambda wildcards: level_env(wildcards.level)
    threads: cp2k_threads()
    resources:
        **job_resources("label_batch", cp2k=True),
    params:
        labelling=lambda wildcards: labelling(
            wildcards.level, f"results/labels/{wildcards.level}/cp2k"
        ),
    script:
        "../scripts/label_batch.py"


rule label_merge:
    input:
        batches=lambda wildcards: label_batch_files(wildcards.level),
        quarantines=lambda wildcards: label_batch_files(wildcards.level, "quarantine."),
    output:
        labelled="results/labels/{level}/labelled.extxyz",
        quarantine="results/labels/{level}/quarantine.extxyz",
        summary="results/labels/{level}/summary.tsv",
    log:
        "logs/labels/{level}/merge.log",
    localrule: True
    conda:
        "../envs/mofglass.yaml"
    script:
        "../scripts/merge_labels.py"


rule dataset:
    input:
        unpack(dataset_inputs),
    output:
        train="results/datasets/{dataset}/train.extxyz",
        test="results/datasets/{dataset}/test.extxyz",
        validation="results/datasets/{dataset}/validation.extxyz",
        quarantine="results/datasets/{dataset}/quarantine.extxyz",
        lineage="results/datasets/{dataset}/lineage.csv",
    log:
        "logs/datasets/{dataset}.log",
    localrule: True
    conda:
        "../envs/mofglass.yaml"
    params:
        block=lambda wildcards: config["datasets"][wildcards.dataset],
        labels=config["labels"],
        aimd_stress=config["aimd"]["stress"],
    script:
        "../scripts/dataset.py"


rule labels:
    input:
        dataset_files(),
