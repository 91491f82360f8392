# mofglass: machine-learning interatomic potentials for MOFs and their glasses.
# Default run: snakemake --cores all   (config/config.yaml, SevenNet-0 + D3, laptop-sized)
from snakemake.utils import min_version

min_version("9.0")


# Each config file is complete: one given with --configfile replaces the default
# instead of being merged into it.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/structures.smk"
include: "workflow/rules/aimd.smk"
include: "workflow/rules/selection.smk"
include: "workflow/rules/labels.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/active_learning.smk"
include: "workflow/rules/md.smk"
include: "workflow/rules/meltquench.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/mechanics.smk"
include: "workflow/rules/enhanced.smk"
include: "workflow/rules/phases.smk"
include: "workflow/rules/cross_check.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        rules.structures.input,
        rules.aimd.input,
        rules.selection.input,
        rules.labels.input,
        rules.train.input,
        rules.active_learning.input,
        rules.md.input,
        rules.meltquench.input,
        rules.analysis.input,
        rules.mechanics.input,
        rules.enhanced.input,
        rules.phases.input,
        rules.cross_check.input,
        "results/report/index.html",
