"""The pool: one row per usable AIMD frame, from the runs' thermo tables."""

from mofglass.jobs.selection import pool_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
pool_job(
    runs=snakemake.params.runs,
    thermo_files=snakemake.input.thermo,
    trajectory_files=snakemake.input.trajectories,
    equilibration_steps=snakemake.params.equilibration_steps,
    pool_file=snakemake.output[0],
)
