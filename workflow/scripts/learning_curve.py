"""Errors against the number of training frames, refitting on nested subsets."""

from mofglass.jobs.train import learning_curve_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
learning_curve_job(
    model_file=snakemake.input.model,
    split_files={s: snakemake.input[s] for s in ("train", "validation", "test")},
    block=snakemake.params.block,
    table_file=snakemake.output.table,
    figure_file=snakemake.output.figure,
)
