"""The vibrational density of states of a sample from NVE velocities."""

from mofglass.jobs.mechanics import SampleRun, vdos_job
from mofglass.logs import setup_logging
from mofglass.md import use_ranks

setup_logging(snakemake.log[0])
use_ranks(snakemake.threads)  # md.ranks: LAMMPS on this job's cores
vdos_job(SampleRun(**snakemake.params.run), outputs=dict(snakemake.output.items()))
