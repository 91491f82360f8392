"""The transition temperature of one coexistence system, bracketed by its ladder."""

from mofglass.jobs.coexistence import bracket_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
bracket_job(
    snakemake.wildcards.system,
    list(snakemake.input.growths),
    list(snakemake.input.fractions),
    dict(snakemake.output.items()),
)
