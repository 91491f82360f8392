"""Phase fractions along one melt-quench trajectory."""

from mofglass.jobs.phases import over_time_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
over_time_job(
    snakemake.input.model,
    snakemake.input.trajectory,
    snakemake.input.thermo,
    snakemake.params.settings,
    snakemake.input.chemistry,
    dict(snakemake.output.items()),
)
