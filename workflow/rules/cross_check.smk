# Stage 15, cross-checks: the test split of each dataset labelled again at a second
# level (the reference level against quantum chemistry), and every glass judged at the
# level its model learnt from, next to the model's 300 K crystal.


include: "inputs/cross_check.smk"


rule cross_check_level:
    input:
        "results/datasets/{dataset}/test.extxyz",
        repair=level_files(config["cross_check"]["level_of_theory"]),
    output:
        labelled="results/cross_check/{dataset}/labelled.extxyz",
        quarantine="results/cross_check/{dataset}/quarantine.extxyz",
        errors="results/cross_check/{dataset}/errors.csv",
    log:
        "logs/cross_check/{dataset}.log",
    benchmark:
        "benchmarks/cross_check/{dataset}.tsv"
    conda:
        level_env(config["cross_check"]["level_of_theory"])
    threads: cp2k_threads()
    resources:
        **job_resources("cross_check_level", cp2k=True),
    params:
        labelling=lambda wildcards: labelling(
            config["cross_check"]["level_of_theory"],
            f"results/cross_check/work/{config['cross_check']['level_of_theory']}",
        ),
    script:
        "../scripts/cross_check_level.py"


rule glass_check:
    input:
        finals=lambda wildcards: expand(
            "results/meltquench/{model}/replica{replica}/final.extxyz",
            model=wildcards.model,
            replica=range(config["meltquench"]["replicas"]),
        ),
        crystal="results/md/{model}/check/trajectory.traj",
        crystal_verdict="results/md/{model}/check/verdict.tsv",
        model="results/models/{model}/model.json",
        repair=lambda wildcards: level_files(model_level(wildcards.model)),
    output:
        "results/cross_check/glasses/{model}.csv",
    log:
        "logs/cross_check/glasses/{model}.log",
    benchmark:
        "benchmarks/cross_check/glasses/{model}.tsv"
    conda:
        lambda wildcards: level_env(model_level(wildcards.model))
    threads: cp2k_threads()
    resources:
        **job_resources("glass_check", cp2k=True),
    params:
        labelling=lambda wildcards: labelling(
            model_level(wildcards.model),
            f"results/cross_check/work/{model_level(wildcards.model)}",
        ),
        glass_memory_mb=lambda wildcards: cost.job_memory_mb(
            cost.job_work(config, "glass_check", dict(wildcards.items()))
        ),
    script:
        "../scripts/glass_check.py"


rule cross_check:
    input:
        cross_check_files(),
