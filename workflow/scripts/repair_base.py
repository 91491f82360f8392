"""The base level of a repaired level on its DFT points."""

from mofglass.jobs.repair import base_job
from mofglass.labels import Labelling
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
base_job(
    dft_file=snakemake.input[0],
    labelling=Labelling(**snakemake.params.labelling, threads=snakemake.threads),
    out=snakemake.output[0],
)
