"""Build one structure: load it, apply the supercell, check the levels of theory in use."""

from mofglass.logs import setup_logging
from mofglass.workflow import structure_job

setup_logging(snakemake.log[0])
structure_job(
    output_file=snakemake.output[0],
    name=snakemake.wildcards.structure,
    block=snakemake.params.block,
    levels=snakemake.params.levels,
    data_dir=snakemake.params.data_dir,
)
