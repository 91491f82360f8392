"""Judge a model's glasses at the level its labels came from."""

from mofglass.jobs.cross_check import glass_check_job
from mofglass.labels import Labelling
from mofglass.logs import setup_logging
from mofglass.resources import granted_memory_mb

setup_logging(snakemake.log[0])
glass_check_job(
    final_files=snakemake.input.finals,
    crystal_file=snakemake.input.crystal,
    crystal_verdict_file=snakemake.input.crystal_verdict,
    model_file=snakemake.input.model,
    model=snakemake.wildcards.model,
    labelling=Labelling(**snakemake.params.labelling, threads=snakemake.threads),
    output=snakemake.output[0],
    glass_memory_mb=snakemake.params.glass_memory_mb,
    granted_mb=granted_memory_mb(dict(snakemake.resources.items())),
)
