"""Elastic moduli of a sample from the strain fluctuations of a flexible-cell NPT run."""

from mofglass.jobs.mechanics import SampleRun, fluctuation_job
from mofglass.logs import setup_logging
from mofglass.md import use_ranks

setup_logging(snakemake.log[0])
use_ranks(snakemake.threads)  # md.ranks: LAMMPS on this job's cores
fluctuation_job(SampleRun(**snakemake.params.run), outputs=dict(snakemake.output.items()))
