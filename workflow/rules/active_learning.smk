# Stage 7, active learning (models with an active_learning block): model 0 on the start
# set, then per iteration MD with the current model at T_k (and, with a metadynamics
# block, runs under an enhanced_sampling bias), CBAD selection against everything
# labelled, CP2K labels, retraining, and the stop rule. Iterations 0 to
# max_iterations are unrolled; after the stop, an iteration's jobs write empty outputs.


include: "inputs/active_learning.smk"


rule al_explore:
    input:
        unpack(al_explore_inputs),
    output:
        frames="results/active_learning/{model}/iter{iteration}/explore/run{run}.extxyz",
        summary="results/active_learning/{model}/iter{iteration}/explore/run{run}.csv",
    log:
        "logs/active_learning/{model}/iter{iteration}/explore{run}.log",
    benchmark:
        "benchmarks/active_learning/{model}/iter{iteration}/explore{run}.tsv"
    conda:
        model_env
    threads: md_ranks()
    resources:
        **job_resources("al_explore"),
    params:
        settings=lambda wildcards: alearn.job_settings(
            al_loop(wildcards.model),
            int(wildcards.iteration),
            "explore",
            config["meltquench"],
            run=int(wildcards.run),
            biases=config["enhanced_sampling"]["biases"],
        ),
        md=md_settings(),
        workdir=lambda wildcards: f"{al_dir(wildcards.model, wildcards.iteration)}/md/run{wildcards.run}",
    script:
        "../scripts/al_explore.py"


rule al_select:
    input:
        unpack(al_select_inputs),
    output:
        requests="results/active_learning/{model}/iter{iteration}/requests.extxyz",
        selection="results/active_learning/{model}/iter{iteration}/selection.csv",
        coverage="results/active_learning/{model}/iter{iteration}/coverage.json",
    log:
        "logs/active_learning/{model}/iter{iteration}/select.log",
    benchmark:
        "benchmarks/active_learning/{model}/iter{iteration}/select.tsv"
    conda:
        "../envs/mofglass.yaml"
    params:
        settings=lambda wildcards: alearn.job_settings(
            al_loop(wildcards.model), int(wildcards.iteration), "select"
        ),
    script:
        "../scripts/al_select.py"


rule al_label:
    input:
        "results/active_learning/{model}/iter{iteration}/requests.extxyz",
        repair=lambda wildcards: level_files(model_level(wildcards.model)),
    output:
        labelled="results/active_learning/{model}/iter{iteration}/labels/{batch}.extxyz",
        quarantine="results/active_learning/{model}/iter{iteration}/labels/{batch}.quarantine.extxyz",
        cost="results/active_learning/{model}/iter{iteration}/labels/{batch}.cost.csv",
    log:
        "logs/active_learning/{model}/iter{iteration}/label{batch}.log",
    benchmark:
        "benchmarks/active_learning/{model}/iter{iteration}/label{batch}.tsv"
    conda:
        lambda wildcards: level_env(model_level(wildcards.model))
    threads: cp2k_threads()
    resources:
        **job_resources("al_label", cp2k=True),
    params:
        # one work directory for the loop: each frame's run and step name its own
        labelling=lambda wildcards: labelling(
            model_level(wildcards.model), "results/active_learning/cp2k"
        ),
    script:
        "../scripts/al_label.py"


rule al_train:
    input:
        unpack(al_train_inputs),
    output:
        train="results/active_learning/{model}/iter{iteration}/dataset/train.extxyz",
        validation="results/active_learning/{model}/iter{iteration}/dataset/validation.extxyz",
        test="results/active_learning/{model}/iter{iteration}/dataset/test.extxyz",
        quarantine="results/active_learning/{model}/iter{iteration}/dataset/quarantine.extxyz",
        lineage="results/active_learning/{model}/iter{iteration}/dataset/lineage.csv",
        state="results/active_learning/{model}/iter{iteration}/state.json",
        model=directory("results/active_learning/{model}/iter{iteration}/model"),
    log:
        "logs/active_learning/{model}/iter{iteration}/train.log",
    benchmark:
        "benchmarks/active_learning/{model}/iter{iteration}/train.tsv"
    conda:
        model_env
    resources:
        **job_resources("al_train"),
    params:
        block=model_settings,
        settings=lambda wildcards: alearn.job_settings(
            al_loop(wildcards.model), int(wildcards.iteration), "train"
        ),
        level=lambda wildcards: model_level(wildcards.model),
        quality_gate=config["labels"]["quality_gate"],
    script:
        "../scripts/al_train.py"


rule al_final:
    input:
        state=lambda wildcards: f"{al_last(wildcards.model)}/state.json",
        dataset=lambda wildcards: [
            f"{al_last(wildcards.model)}/dataset/{name}"
            for name in ("train.extxyz", "validation.extxyz", "test.extxyz", "lineage.csv")
        ],
    output:
        model="results/models/{model}/model.json",
        fit="results/models/{model}/fit.json",
        predictions="results/models/{model}/fit_test_predictions.extxyz",
        lineage="results/models/{model}/lineage.csv",
        train="results/active_learning/{model}/dataset/train.extxyz",
        validation="results/active_learning/{model}/dataset/validation.extxyz",
        test="results/active_learning/{model}/dataset/test.extxyz",
        dataset_lineage="results/active_learning/{model}/dataset/lineage.csv",
        records=report(
            "results/active_learning/{model}/records.csv",
            caption="../report/records_table.rst",
            category="7. Active learning",
            subcategory="{model}",
        ),
        figure=report(
            "results/active_learning/{model}/records.png",
            caption="../report/records.rst",
            category="7. Active learning",
            subcategory="{model}",
        ),
    log:
        "logs/active_learning/{model}/final.log",
    wildcard_constraints:
        model=names_alternation(al_models()),
    localrule: True
    conda:
        "../envs/mofglass.yaml"
    script:
        "../scripts/al_final.py"


rule active_learning:
    input:
        expand("results/active_learning/{model}/records.csv", model=al_models()),
