"""NVT frames of one phase class at one temperature, for the classifier."""

from mofglass.jobs.phases import class_md_job
from mofglass.logs import setup_logging
from mofglass.md import use_ranks

setup_logging(snakemake.log[0])
use_ranks(snakemake.threads)  # md.ranks: LAMMPS on this job's cores
class_md_job(
    model_file=snakemake.input.model,
    structure_file=snakemake.input.structure,
    chemistry_file=snakemake.input.chemistry,
    temperature_K=float(snakemake.wildcards.temperature),
    block=snakemake.params.block,
    md=snakemake.params.md,
    workdir=snakemake.params.workdir,
    outputs=dict(snakemake.output.items()),
)
