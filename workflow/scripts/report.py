"""Write the HTML report of the run."""

from mofglass.jobs.report import report_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
report_job(
    files={name: list(files) for name, files in snakemake.input.items()},
    settings=snakemake.params.settings,
    output=snakemake.output.html,
    comparison_figure=snakemake.output.comparison,
)
