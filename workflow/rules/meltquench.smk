# Stage 9, melt-quench: heat, hold, quench and equilibrate with every model, one job
# per (model, replica), under the stability watch; a table of every run's verdict.


include: "inputs/meltquench.smk"


rule meltquench_run:
    input:
        model="results/models/{model}/model.json",
        structure=lambda wildcards: structure_file(config["meltquench"]["structure"]),
        chemistry=lambda wildcards: chemistry_file(config["meltquench"]["structure"]),
    output:
        thermo="results/meltquench/{model}/replica{replica}/thermo.tsv",
        trajectory="results/meltquench/{model}/replica{replica}/trajectory.traj",
        final="results/meltquench/{model}/replica{replica}/final.extxyz",
        figure=report(
            "results/meltquench/{model}/replica{replica}/temperature.png",
            caption="../report/temperature.rst",
            category="9. Melt-quench",
            subcategory="{model}",
        ),
        verdict="results/meltquench/{model}/replica{replica}/verdict.tsv",
    log:
        "logs/meltquench/{model}/replica{replica}.log",
    benchmark:
        "benchmarks/meltquench/{model}/replica{replica}.tsv"
    wildcard_constraints:
        replica=r"[0-9]+",
    conda:
        model_env
    threads: md_ranks()
    resources:
        **job_resources("meltquench_run"),
    params:
        block=config["meltquench"],
        md=md_settings(),
        workdir=lambda wildcards: f"results/meltquench/{wildcards.model}/replica{wildcards.replica}/lammps",
    script:
        "../scripts/meltquench.py"


rule meltquench_committee:
    input:
        model="results/models/{model}/model.json",
        trajectory="results/meltquench/{model}/replica{replica}/trajectory.traj",
        thermo="results/meltquench/{model}/replica{replica}/thermo.tsv",
    output:
        table="results/meltquench/{model}/replica{replica}/committee.csv",
        figure=report(
            "results/meltquench/{model}/replica{replica}/committee.png",
            caption="../report/committee.rst",
            category="9. Melt-quench",
            subcategory="{model}",
        ),
    log:
        "logs/meltquench/{model}/replica{replica}_committee.log",
    wildcard_constraints:
        model=names_alternation(committee_models()),
        replica=r"[0-9]+",
    conda:
        model_env
    resources:
        gpu=model_gpus,
    params:
        high=lambda wildcards: config["models"][wildcards.model]["committee"]["trust"][
            "high_eV_per_A"
        ],
    script:
        "../scripts/meltquench_committee.py"


rule meltquench_verdicts:
    input:
        meltquench_files("verdict.tsv"),
    output:
        report(
            "results/meltquench/verdicts.tsv",
            caption="../report/meltquench_verdicts.rst",
            category="9. Melt-quench",
        ),
    log:
        "logs/meltquench/verdicts.log",
    localrule: True
    conda:
        "../envs/mofglass.yaml"
    script:
        "../scripts/concat_tables.py"


rule meltquench:
    input:
        ["results/meltquench/verdicts.tsv"] if meltquench_files("verdict.tsv") else [],
        meltquench_committee_files("committee.csv"),
