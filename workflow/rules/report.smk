# Stage 16, the report: one self-contained HTML page with every figure and table of the
# run, each scalar next to its published value. Each stage names its files (common.smk,
# <stage>_report) and writes its section (mofglass.report.<stage>).


include: "inputs/report.smk"


rule report:
    input:
        unpack(report_inputs),
    output:
        html="results/report/index.html",
        comparison=report(
            "results/report/model_comparison.png",
            caption="../report/model_comparison.rst",
            category="6. Models",
        ),
    log:
        "logs/report.log",
    localrule: True
    conda:
        "../envs/mofglass.yaml"
    params:
        settings={
            "config_name": ", ".join(map(str, workflow.configfiles)) or "config/config.yaml",
            "models": {
                n: {
                    "type": b["type"],
                    "dataset": "active learning" if n in al_models() else b["dataset"],
                    "labels": model_labels(n),
                }
                for n, b in config["models"].items()
            },
            "sources": list(ANALYSIS_SOURCES),
            "mechanics_models": mechanics_models() if MECHANICS_SAMPLES else [],
            "mechanics_kinds": {s["group"]: s["kind"] for s in MECHANICS_SAMPLES.values()},
            "enhanced_runs": [
                f"{m}/{b}"
                for m in enhanced_models()
                for b in config["enhanced_sampling"]["biases"]
            ],
            "frameworks": report_frameworks(),
            "captions": report_captions(),
            # provenance: what made the results
            "config": config,
            "root": str(Path(workflow.basedir).parent),
            "environments": families.environments(config),
            "cp2k_command": config["cp2k"]["command"],
            # the folder, globbed by the job: its files are written during the run
            "benchmarks": "benchmarks",
        },
    script:
        "../scripts/report.py"
