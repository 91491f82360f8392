"""Active learning: one batch of CP2K single points behind the quality gate."""

from mofglass.jobs.active_learning import label_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
label_job(
    cost_file=snakemake.output.cost,
    threads=snakemake.threads,
    requests_file=snakemake.input[0],
    labelled_file=snakemake.output.labelled,
    quarantine_file=snakemake.output.quarantine,
    batch_index=int(snakemake.wildcards.batch),
    workdir=snakemake.params.workdir,
    labels=snakemake.params.labels,
    level_name=snakemake.params.level_name,
    level=snakemake.params.level,
    cp2k=snakemake.params.cp2k,
)
