"""One melt-quench replica with a trained model."""

from mofglass.jobs.meltquench import meltquench_job
from mofglass.logs import setup_logging
from mofglass.md import use_ranks

setup_logging(snakemake.log[0])
use_ranks(snakemake.threads)  # md.ranks: LAMMPS on this job's cores
meltquench_job(
    model_file=snakemake.input.model,
    structure_file=snakemake.input.structure,
    chemistry_file=snakemake.input.chemistry,
    block=snakemake.params.block,
    md=snakemake.params.md,
    replica=int(snakemake.wildcards.replica),
    workdir=snakemake.params.workdir,
    outputs=dict(snakemake.output.items()),
)
