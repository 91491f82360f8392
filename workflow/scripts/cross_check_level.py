"""Label a dataset's test split at a second level and compare the two levels."""

from mofglass.jobs.cross_check import level_check_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
level_check_job(
    test_file=snakemake.input[0],
    labelled_file=snakemake.output.labelled,
    quarantine_file=snakemake.output.quarantine,
    errors_file=snakemake.output.errors,
    dataset=snakemake.wildcards.dataset,
    level_name=snakemake.params.level_name,
    level=snakemake.params.level,
    labels=snakemake.params.labels,
    cp2k=snakemake.params.cp2k,
    workdir=snakemake.params.workdir,
    threads=snakemake.threads,
)
