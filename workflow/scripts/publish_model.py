"""A published model made usable here: its archive, metadata and model.json."""

from mofglass.jobs.train import publish_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
publish_job(
    snakemake.wildcards.model,
    snakemake.params.block,
    snakemake.output.model,
    snakemake.params.level,
)
