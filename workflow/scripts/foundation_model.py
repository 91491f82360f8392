"""A universal potential as a model, zero-shot."""

from mofglass.jobs.train import foundation_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
foundation_job(
    snakemake.wildcards.model,
    snakemake.params.block,
    snakemake.params.level,
    snakemake.input.test,
    snakemake.output.model,
)
