"""The pull test of a repaired level in its structure, base against repaired."""

from mofglass.jobs.repair import pull_job
from mofglass.labels import Labelling
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
pull_job(
    structure_file=snakemake.input.structure,
    chemistry_file=snakemake.input.chemistry,
    term_file=snakemake.input.term,
    fragment_file=snakemake.input.dft_pull,
    block=snakemake.params.block,
    name=snakemake.wildcards.repaired,
    labelling=Labelling(**snakemake.params.labelling, threads=snakemake.threads),
    outputs=dict(snakemake.output.items()),
)
