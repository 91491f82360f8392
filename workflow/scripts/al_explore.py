"""Active learning: one exploration MD run with the current model (or iteration 0's
perturbations)."""

from mofglass.jobs.active_learning import explore_job
from mofglass.logs import setup_logging
from mofglass.md import use_ranks

setup_logging(snakemake.log[0])
use_ranks(snakemake.threads)  # md.ranks: LAMMPS on this job's cores
explore_job(
    name=snakemake.wildcards.model,
    settings=snakemake.params.settings,
    iteration=int(snakemake.wildcards.iteration),
    run=int(snakemake.wildcards.run),
    structure_file=snakemake.input.structure,
    chemistry_file=snakemake.input.chemistry,
    state_file=dict(snakemake.input.items()).get("state"),
    md=snakemake.params.md,
    workdir=snakemake.params.workdir,
    outputs=dict(snakemake.output.items()),
)
