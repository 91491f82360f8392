"""Errors of a deployed model on every split, parity plots, consistency with the fit."""

from mofglass.jobs.train import evaluate_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
evaluate_job(
    model_file=snakemake.input.model,
    split_files={s: snakemake.input[s] for s in ("train", "validation", "test")},
    metrics_file=snakemake.output.metrics,
    parity_file=snakemake.output.parity,
    consistency_file=snakemake.output.consistency,
    committee_file=snakemake.output.committee,
)
