"""Label one batch of requested frames with CP2K single points behind the quality gate."""

from mofglass.jobs.labels import label_batch_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
label_batch_job(
    requests_file=snakemake.input[0],
    labelled_file=snakemake.output.labelled,
    quarantine_file=snakemake.output.quarantine,
    batch_index=int(snakemake.wildcards.batch),
    workdir=snakemake.params.workdir,
    labels=snakemake.params.labels,
    level_name=snakemake.wildcards.level,
    level=snakemake.params.level,
    cp2k=snakemake.params.cp2k,
    threads=snakemake.threads,
)
