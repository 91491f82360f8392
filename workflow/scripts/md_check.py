"""A short MD run with a trained model through the MD engine."""

from mofglass.jobs.md import md_job
from mofglass.logs import setup_logging
from mofglass.md import use_ranks

setup_logging(snakemake.log[0])
use_ranks(snakemake.threads)  # md.ranks: LAMMPS on this job's cores
md_job(
    model_file=snakemake.input.model,
    structure_file=snakemake.input.structure,
    protocol_block=snakemake.params.protocol,
    md=snakemake.params.md,
    workdir=snakemake.params.workdir,
    thermo_file=snakemake.output.thermo,
    trajectory_file=snakemake.output.trajectory,
    figure_file=snakemake.output.figure,
    verdict_file=snakemake.output.verdict,
    repeat=snakemake.params.protocol["supercell"],
)
