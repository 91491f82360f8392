"""One melt-quench replica with a trained model."""

from mofglass.logs import setup_logging
from mofglass.workflow import meltquench_job

setup_logging(snakemake.log[0])
meltquench_job(
    model_dir=str(snakemake.input.model).rsplit("/", 1)[0],
    structure_file=snakemake.input.structure,
    block=snakemake.params.block,
    damping=snakemake.params.damping,
    replica=int(snakemake.wildcards.replica),
    workdir=snakemake.params.workdir,
    outputs=dict(snakemake.output.items()),
)
