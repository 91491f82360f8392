# Stage 6, training: fit each model on its dataset, then the evaluation every model
# type shares: errors on every split with parity plots, the check that LAMMPS with the
# written files reproduces the fit, a learning curve and the measured MD cost.


include: "inputs/train.smk"


rule train_snap:
    input:
        unpack(model_dataset_files),
    output:
        model="results/models/{model}/model.json",
        pair="results/models/{model}/pair.lammps",
        coefficients="results/models/{model}/mofglass.snapcoeff",
        parameters="results/models/{model}/mofglass.snapparam",
        fit="results/models/{model}/fit.json",
        predictions="results/models/{model}/fit_test_predictions.extxyz",
        lineage="results/models/{model}/lineage.csv",
    log:
        "logs/models/{model}/train.log",
    benchmark:
        "benchmarks/models/{model}/train.tsv"
    wildcard_constraints:
        model=names_alternation(models_of_type("snap")),
    conda:
        "../envs/lammps.yaml"
    resources:
        **job_resources("train_snap"),
    params:
        block=model_settings,
        level=lambda wildcards: model_level(wildcards.model),
    script:
        "../scripts/train_model.py"


rule train_family:
    input:
        unpack(model_dataset_files),
    output:
        model="results/models/{model}/model.json",
        fit="results/models/{model}/fit.json",
        predictions="results/models/{model}/fit_test_predictions.extxyz",
        lineage="results/models/{model}/lineage.csv",
    log:
        "logs/models/{model}/train.log",
    benchmark:
        "benchmarks/models/{model}/train_family.tsv"
    wildcard_constraints:
        model=names_alternation(models_of_type("nequip", "allegro", "mace", "finetune")),
    conda:
        model_env
    resources:
        **job_resources("train_family"),
    params:
        block=model_settings,
        level=lambda wildcards: model_level(wildcards.model),
    script:
        "../scripts/train_model.py"


rule publish_model:
    input:
        published_file,
    output:
        model="results/models/{model}/model.json",
        family="results/models/{model}/family.json",
        deployed="results/models/{model}/deployed.pth",
    log:
        "logs/models/{model}/publish.log",
    wildcard_constraints:
        model=names_alternation(models_of_type("published")),
    localrule: True
    conda:
        model_env
    params:
        block=lambda wildcards: config["models"][wildcards.model],
        level=lambda wildcards: model_level(wildcards.model),
    script:
        "../scripts/publish_model.py"


rule foundation_model:
    input:
        test=lambda wildcards: model_dataset_files(wildcards)["test"],
    output:
        model="results/models/{model}/model.json",
        family="results/models/{model}/family.json",
    log:
        "logs/models/{model}/foundation.log",
    wildcard_constraints:
        model=names_alternation(models_of_type("foundation")),
    localrule: True
    conda:
        model_env
    params:
        block=lambda wildcards: config["models"][wildcards.model],
        level=lambda wildcards: {
            "name": config["models"][wildcards.model]["level"],
            "block": config["levels_of_theory"][config["models"][wildcards.model]["level"]],
        },
    script:
        "../scripts/foundation_model.py"


rule evaluate_model:
    input:
        unpack(model_dataset_files),
        model="results/models/{model}/model.json",
    output:
        metrics=report(
            "results/models/{model}/metrics.csv",
            caption="../report/metrics_table.rst",
            category="6. Models",
            subcategory="{model}",
        ),
        parity=report(
            "results/models/{model}/parity.png",
            caption="../report/parity.rst",
            category="6. Models",
            subcategory="{model}",
        ),
        consistency="results/models/{model}/consistency.csv",
        committee="results/models/{model}/committee.csv",
    log:
        "logs/models/{model}/evaluate.log",
    benchmark:
        "benchmarks/models/{model}/evaluate.tsv"
    conda:
        model_env
    resources:
        **job_resources("evaluate_model"),
    script:
        "../scripts/evaluate_model.py"


rule learning_curve:
    input:
        unpack(model_dataset_files),
        model="results/models/{model}/model.json",
    output:
        table="results/models/{model}/learning_curve.csv",
        figure=report(
            "results/models/{model}/learning_curve.png",
            caption="../report/learning_curve.rst",
            category="6. Models",
            subcategory="{model}",
        ),
    log:
        "logs/models/{model}/learning_curve.log",
    benchmark:
        "benchmarks/models/{model}/learning_curve.tsv"
    conda:
        model_env
    resources:
        **job_resources("learning_curve"),
    params:
        block=lambda wildcards: config["models"][wildcards.model]["learning_curve"],
    script:
        "../scripts/learning_curve.py"


rule model_cost:
    input:
        model="results/models/{model}/model.json",
        structure=lambda wildcards: md_structure_file("cost"),
    output:
        table="results/models/{model}/cost.csv",
        figure=report(
            "results/models/{model}/cost.png",
            caption="../report/cost.rst",
            category="6. Models",
            subcategory="{model}",
        ),
    log:
        "logs/models/{model}/cost.log",
    benchmark:
        "benchmarks/models/{model}/cost.tsv"
    conda:
        model_env
    resources:
        **job_resources("model_cost"),
    params:
        block=config["md"]["cost"],
        md=md_settings(watched=False),
        workdir=lambda wildcards: f"results/models/{wildcards.model}/cost",
        memory_mb=lambda wildcards: cost.cells_memory_mb(config, wildcards.model),
    script:
        "../scripts/model_cost.py"


rule train:
    input:
        model_files(),
