"""Measured MD cost of a model in LAMMPS (µs per atom per step)."""

from mofglass.jobs.train import cost_job
from mofglass.logs import setup_logging
from mofglass.resources import granted_memory_mb

setup_logging(snakemake.log[0])
cost_job(
    model_file=snakemake.input.model,
    structure_file=snakemake.input.structure,
    block=snakemake.params.block,
    md=snakemake.params.md,
    workdir=snakemake.params.workdir,
    table_file=snakemake.output.table,
    figure_file=snakemake.output.figure,
    memory_mb=snakemake.params.memory_mb,
    granted_mb=granted_memory_mb(dict(snakemake.resources.items())),
)
