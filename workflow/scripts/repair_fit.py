"""Fit a repaired level's pair term and judge it on held-out points."""

from mofglass.jobs.repair import fit_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
fit_job(
    dft_file=snakemake.input.dft,
    base_file=snakemake.input.base,
    chemistry_file=snakemake.input.chemistry,
    block=snakemake.params.block,
    name=snakemake.wildcards.repaired,
    outputs=dict(snakemake.output.items()),
)
