# Stage 13, phase classification: MD frames of each class with the model, a symmetry-
# function network (Méndez & Semino), and phase fractions along every melt-quench.


include: "inputs/phases.smk"


wildcard_constraints:
    phase=names_alternation(config["phases"]["classes"]),


rule phases_md:
    input:
        model=lambda wildcards: f"results/models/{config['phases']['model']}/model.json",
        structure=lambda wildcards: structure_file(
            config["phases"]["classes"][wildcards.phase]["structure"]
        ),
        chemistry=lambda wildcards: chemistry_file(
            config["phases"]["classes"][wildcards.phase]["structure"]
        ),
    output:
        frames="results/phases/md/{phase}/T{temperature}/frames.extxyz",
        verdict="results/phases/md/{phase}/T{temperature}/verdict.csv",
    log:
        "logs/phases/md/{phase}_T{temperature}.log",
    benchmark:
        "benchmarks/phases/md/{phase}_T{temperature}.tsv"
    conda:
        phases_env
    threads: md_ranks()
    resources:
        **job_resources("phases_md"),
    params:
        block=config["phases"]["md"],
        md=md_settings(),
        workdir=lambda wildcards: f"results/phases/md/{wildcards.phase}/T{wildcards.temperature}/lammps",
    script:
        "../scripts/phases_md.py"


rule phases_train:
    input:
        unpack(phases_class_files),
    output:
        model="results/phases/classifier.joblib",
        metrics=report(
            "results/phases/metrics.csv",
            caption="../report/phases_metrics.rst",
            category="13. Phases",
        ),
        confusion="results/phases/confusion.csv",
        figure=report(
            "results/phases/confusion.png",
            caption="../report/confusion.rst",
            category="13. Phases",
        ),
    log:
        "logs/phases/train.log",
    benchmark:
        "benchmarks/phases/train.tsv"
    conda:
        "../envs/mofglass.yaml"
    params:
        settings={k: config["phases"][k] for k in ("symmetry_functions", "network")},
    script:
        "../scripts/phases_train.py"


rule phases_over_time:
    input:
        model="results/phases/classifier.joblib",
        trajectory="results/meltquench/{model}/replica{replica}/trajectory.traj",
        thermo="results/meltquench/{model}/replica{replica}/thermo.tsv",
        chemistry=chemistry_file(config["meltquench"]["structure"]),
    output:
        table="results/phases/meltquench/{model}/replica{replica}/fractions.csv",
        figure=report(
            "results/phases/meltquench/{model}/replica{replica}/fractions.png",
            caption="../report/fractions.rst",
            category="13. Phases",
            subcategory="{model}",
        ),
    log:
        "logs/phases/meltquench/{model}/replica{replica}.log",
    benchmark:
        "benchmarks/phases/meltquench/{model}/replica{replica}.tsv"
    conda:
        "../envs/mofglass.yaml"
    params:
        settings={k: config["phases"][k] for k in ("symmetry_functions", "network")},
    script:
        "../scripts/phases_over_time.py"


rule phases:
    input:
        phases_files(),
