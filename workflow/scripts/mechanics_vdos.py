"""The vibrational density of states of a sample from NVE velocities."""

from mofglass.jobs.mechanics import SampleRun, vdos_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
vdos_job(SampleRun(**snakemake.params.run), outputs=dict(snakemake.output.items()))
