"""The DFT single points of a repaired level: CP2K, or the shipped ones."""

from mofglass.jobs.repair import dft_job
from mofglass.labels import Labelling
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
dft_job(
    points_file=snakemake.input[0],
    block=snakemake.params.block,
    labelling=Labelling(**snakemake.params.labelling, threads=snakemake.threads),
    outputs=dict(snakemake.output.items()),
)
