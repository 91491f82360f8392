"""Every mechanical and thermal scalar of a model's samples, with its status."""

from mofglass.jobs.mechanics import summary_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
summary_job(
    snakemake.wildcards.model,
    snakemake.params.samples,
    snakemake.input.eos,
    snakemake.input.fluctuations,
    snakemake.input.expansion,
    snakemake.output[0],
)
