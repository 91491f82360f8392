"""Write the HTML report of the run."""

from mofglass.jobs.report import report_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
report_job(
    config_name=snakemake.params.config_name,
    datasets=snakemake.params.datasets,
    models=snakemake.params.models,
    analysis_sources=snakemake.params.sources,
    meltquench=snakemake.params.meltquench,
    output=snakemake.output.html,
    comparison_figure=snakemake.output.comparison,
    model_blocks=snakemake.params.model_blocks,
    active_learning=snakemake.params.active_learning,
    mechanics=snakemake.params.mechanics,
    mechanics_kinds=snakemake.params.mechanics_kinds,
    enhanced=snakemake.params.enhanced,
    phases=snakemake.params.phases,
    cross_check=snakemake.params.cross_check,
)
