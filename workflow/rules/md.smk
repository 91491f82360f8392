# Stage 8, MD: the engine at work, a short run of every trained model (config md.check),
# the same engine that melt-quench, active learning and mechanics use.


include: "inputs/md.smk"


rule md_check:
    input:
        model="results/models/{model}/model.json",
        structure=lambda wildcards: md_structure_file("check"),
    output:
        thermo="results/md/{model}/check/thermo.tsv",
        trajectory="results/md/{model}/check/trajectory.traj",
        figure=report(
            "results/md/{model}/check/temperature.png",
            caption="../report/temperature.rst",
            category="8. MD check",
            subcategory="{model}",
        ),
        verdict=report(
            "results/md/{model}/check/verdict.tsv",
            caption="../report/md_verdict.rst",
            category="8. MD check",
            subcategory="{model}",
        ),
    log:
        "logs/md/{model}/check.log",
    benchmark:
        "benchmarks/md/{model}/check.tsv"
    conda:
        model_env
    threads: md_ranks()
    resources:
        **job_resources("md_check"),
    params:
        protocol=config["md"]["check"],
        md=md_settings(watched=False),
        workdir=lambda wildcards: f"results/md/{wildcards.model}/check/lammps",
    script:
        "../scripts/md_check.py"


rule md:
    input:
        expand("results/md/{model}/check/thermo.tsv", model=models_running("md")),
