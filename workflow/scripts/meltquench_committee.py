"""The committee's force deviation along one melt-quench replica."""

from mofglass.jobs.meltquench import committee_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
committee_job(
    snakemake.input.model,
    snakemake.input.trajectory,
    snakemake.input.thermo,
    snakemake.params.high,
    dict(snakemake.output.items()),
)
