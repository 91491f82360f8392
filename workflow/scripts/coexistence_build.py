"""The two-slab cell of one coexistence system: the crystal and its melt (or glass)."""

from mofglass.jobs.coexistence import build_job
from mofglass.logs import setup_logging
from mofglass.md import use_ranks

setup_logging(snakemake.log[0])
use_ranks(snakemake.threads)  # md.ranks: LAMMPS on this job's cores
build_job(
    model_file=snakemake.input.model,
    structure_file=snakemake.input.structure,
    chemistry_file=snakemake.input.chemistry,
    block=snakemake.params.block,
    md=snakemake.params.md,
    workdir=snakemake.params.workdir,
    outputs=dict(snakemake.output.items()),
)
