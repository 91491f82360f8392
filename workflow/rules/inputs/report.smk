# Input and params functions of rules/report.smk: the report: each stage names the files of its section in its own
# functions file (<stage>_report); the report builds no path of its own.
# Functions live apart from rules (snakemake --lint); this file is included by it.


def report_frameworks():
    """Framework of each mechanics sample group and enhanced run (``<model>/<bias>``)."""
    found = {name: framework_of(name) for name in config["structures"]}
    found["glass"] = framework_of(config["meltquench"]["structure"])
    for model in enhanced_models():
        for bias, block in config["enhanced_sampling"]["biases"].items():
            found[f"{model}/{bias}"] = framework_of(block["structure"])
    for system, block in config["coexistence"]["systems"].items():
        found[system] = framework_of(block["structure"])
    return found


def report_inputs(wildcards):
    """Every stage's report files, by name."""
    return {
        key: files
        for stage in (
            repair_report,
            selection_report,
            train_report,
            active_learning_report,
            meltquench_report,
            analysis_report,
            cross_check_report,
            mechanics_report,
            enhanced_report,
            phases_report,
            coexistence_report,
        )
        for key, files in stage().items()
    }


# The kinds of figure and table with a caption, workflow/report/<kind>.rst: listed, not
# globbed, as a workflow used as a module from a remote source has no folder to glob
# (tests/test_style.py checks the list against the folder).
CAPTIONED = (
    "analysis_summary",
    "angles",
    "barrier_table",
    "cbad_coverage",
    "coexistence",
    "committee",
    "confusion",
    "convergence",
    "cost",
    "energy_distribution",
    "eos",
    "expansion",
    "fes",
    "fractions",
    "learning_curve",
    "md_verdict",
    "mechanics_summary",
    "meltquench_verdicts",
    "metrics_table",
    "model_comparison",
    "parity",
    "phases_metrics",
    "rdf",
    "records",
    "records_table",
    "repair",
    "running",
    "temperature",
    "transition",
    "vdos",
)


def report_captions():
    """What each figure shows, by file stem: workflow/report/<stem>.rst, the captions
    of Snakemake's own report too."""
    out = {}
    for stem in CAPTIONED:
        with open(workflow.source_path(f"../../report/{stem}.rst"), encoding="utf-8") as handle:
            out[stem] = handle.read().strip()
    return out
