"""One well-tempered metadynamics run of a model (rules/enhanced.smk)."""

from mofglass.jobs.enhanced import enhanced_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
enhanced_job(
    model_file=snakemake.input.model,
    structure_file=snakemake.input.structure,
    chemistry_file=snakemake.input.chemistry,
    name=snakemake.wildcards.bias,
    block=snakemake.params.block,
    backend=snakemake.params.backend,
    workdir=snakemake.params.workdir,
    md=snakemake.params.md,
    outputs=dict(snakemake.output.items()),
)
