"""Train one NequIP, Allegro or MACE model on its dataset with its own trainer."""

from mofglass.jobs.train import train_family_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
train_family_job(
    name=snakemake.wildcards.model,
    block=snakemake.params.block,
    split_files={s: snakemake.input[s] for s in ("train", "validation", "test")},
    lineage_file=snakemake.input.lineage,
    model_file=snakemake.output.model,
    level=snakemake.params.level,
)
