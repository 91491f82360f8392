"""A sample's NPT cell scans gathered: expansion coefficients and compressibility."""

from mofglass.jobs.mechanics import expansion_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
expansion_job(
    list(snakemake.input.points),
    snakemake.wildcards.sample,
    snakemake.params.block,
    dict(snakemake.output.items()),
    structure_file=snakemake.input.structure,
)
