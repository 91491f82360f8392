"""Run (or resume) one AIMD job with CP2K."""

from mofglass.jobs.aimd import aimd_job
from mofglass.logs import setup_logging
from mofglass.plan import AIMDRun

setup_logging(snakemake.log[0])
aimd_job(
    structure_file=snakemake.input[0],
    run=AIMDRun(
        snakemake.wildcards.structure,
        float(snakemake.wildcards.temperature),
        float(snakemake.wildcards.volume),
    ),
    aimd=snakemake.params.aimd,
    level_name=snakemake.params.level_name,
    level=snakemake.params.level,
    cp2k=snakemake.params.cp2k,
    workdir=snakemake.params.workdir,
    outputs=dict(snakemake.output.items()),
    threads=snakemake.threads,
)
