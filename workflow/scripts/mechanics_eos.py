"""A sample's P(V) points gathered and fitted (Birch-Murnaghan)."""

from mofglass.jobs.mechanics import eos_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
eos_job(
    list(snakemake.input),
    snakemake.wildcards.sample,
    snakemake.params.block,
    dict(snakemake.output.items()),
)
