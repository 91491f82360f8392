"""Select one dataset's frames: lineage table and figures."""

from mofglass.logs import setup_logging
from mofglass.workflow import select_job

setup_logging(snakemake.log[0])
select_job(
    pool_file=snakemake.input[0],
    dataset=snakemake.wildcards.dataset,
    block=snakemake.params.block,
    selection_file=snakemake.output.selection,
    figure_file=snakemake.output.figure,
    coverage_file=snakemake.output.get("coverage"),
    coverage_figure=snakemake.output.get("coverage_figure"),
    threads=snakemake.threads,
)
