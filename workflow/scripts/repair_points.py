"""The geometries of a repaired level's DFT points."""

from mofglass.jobs.repair import points_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
points_job(
    structure_file=snakemake.input.structure,
    chemistry_file=snakemake.input.chemistry,
    block=snakemake.params.block,
    name=snakemake.wildcards.repaired,
    out=snakemake.output[0],
)
