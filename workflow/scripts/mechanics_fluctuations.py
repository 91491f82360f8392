"""Elastic moduli of a sample from the strain fluctuations of a flexible-cell NPT run."""

from mofglass.jobs.mechanics import SampleRun, fluctuation_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
fluctuation_job(SampleRun(**snakemake.params.run), outputs=dict(snakemake.output.items()))
