# Stage 14, the report: one self-contained HTML page with every figure and table of the
# run, each scalar next to its published value.


rule report:
    input:
        report_inputs(),
    output:
        html="results/report/index.html",
        comparison="results/report/model_comparison.png",
    log:
        "logs/report.log",
    localrule: True
    conda:
        "../../envs/mofglass.yaml"
    params:
        config_name=lambda wildcards: ", ".join(map(str, workflow.configfiles))
        or "config/config.yaml",
        datasets=list(config["datasets"]),
        models=list(config["models"]),
        model_blocks={
            n: {
                "type": b["type"],
                "dataset": "active learning" if n in al_models() else b["dataset"],
            }
            for n, b in config["models"].items()
        },
        sources=list(ANALYSIS_SOURCES),
        active_learning=al_models(),
        meltquench=config["meltquench"]["enabled"] and bool(config["models"]),
        mechanics=(
            {m: list(MECHANICS_SAMPLES) for m in mechanics_models()} if MECHANICS_SAMPLES else {}
        ),
        enhanced=[
            f"{m}/{b}" for m in enhanced_models() for b in config["enhanced_sampling"]["biases"]
        ],
        phases=config["phases"]["enabled"],
        cross_check=cross_check_files(),
        mechanics_kinds={s["group"]: s["kind"] for s in MECHANICS_SAMPLES.values()},
    script:
        "../scripts/report.py"
