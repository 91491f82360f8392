"""The base level of a repaired level on its DFT points and on the pull test."""

from mofglass.jobs.repair import base_job
from mofglass.labels import Labelling
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
base_job(
    dft_file=snakemake.input.dft,
    structure_file=snakemake.input.structure,
    chemistry_file=snakemake.input.chemistry,
    block=snakemake.params.block,
    name=snakemake.wildcards.repaired,
    labelling=Labelling(**snakemake.params.labelling, threads=snakemake.threads),
    outputs=dict(snakemake.output.items()),
)
