"""Select one dataset's frames: lineage table and figures."""

from mofglass.jobs.selection import select_job
from mofglass.logs import setup_logging

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
    chemistry_files=snakemake.input.get("chemistry", []),
)
