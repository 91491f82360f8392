"""Train one model (SNAP, or NequIP, Allegro, MACE with its own trainer) on its dataset."""

from mofglass.jobs.train import train_job
from mofglass.logs import setup_logging
from mofglass.train import Training

setup_logging(snakemake.log[0])
train_job(
    Training(
        name=snakemake.wildcards.model,
        block=snakemake.params.block,
        split_files={s: snakemake.input[s] for s in ("train", "validation", "test")},
        lineage_file=snakemake.input.lineage,
        model_file=snakemake.output.model,
        level=snakemake.params.level,
    )
)
