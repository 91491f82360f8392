"""Build one structure: load it, apply the supercell, read its chemistry, check the levels
of theory in use."""

from mofglass.jobs.structures import structure_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
structure_job(
    output_file=snakemake.output.structure,
    chemistry_file=snakemake.output.chemistry,
    name=snakemake.wildcards.structure,
    block=snakemake.params.block,
    levels=snakemake.params.levels,
    data_dir=snakemake.params.data_dir,
)
