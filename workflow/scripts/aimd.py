"""Run (or resume) one AIMD job with CP2K."""

from mofglass.jobs.aimd import aimd_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
aimd_job(
    structure_file=snakemake.input[0],
    trajectory_file=snakemake.output.trajectory,
    thermo_file=snakemake.output.thermo,
    workdir=snakemake.params.workdir,
    structure=snakemake.wildcards.structure,
    temperature_K=float(snakemake.wildcards.temperature),
    volume_scale=float(snakemake.wildcards.volume),
    aimd=snakemake.params.aimd,
    level_name=snakemake.params.level_name,
    level=snakemake.params.level,
    cp2k=snakemake.params.cp2k,
    threads=snakemake.threads,
)
