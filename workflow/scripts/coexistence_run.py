"""One temperature of a coexistence ladder: NPT, and the crystalline fraction per frame."""

from mofglass.jobs.coexistence import run_job
from mofglass.logs import setup_logging
from mofglass.md import use_ranks

setup_logging(snakemake.log[0])
use_ranks(snakemake.threads)  # md.ranks: LAMMPS on this job's cores
run_job(
    model_file=snakemake.input.model,
    cell_file=snakemake.input.cell,
    classifier_file=snakemake.input.classifier,
    chemistry_file=snakemake.input.chemistry,
    block=snakemake.params.block,
    temperature_K=float(snakemake.wildcards.temperature),
    md=snakemake.params.md,
    workdir=snakemake.params.workdir,
    outputs=dict(snakemake.output.items()),
)
