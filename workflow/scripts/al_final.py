"""Active learning: the loop's model, its dataset, and the records with their figure."""

from mofglass.jobs.active_learning import final_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
out = snakemake.output
final_job(
    name=snakemake.wildcards.model,
    state_file=snakemake.input.state,
    dataset=dict(
        zip(("train", "validation", "test", "lineage"), snakemake.input.dataset, strict=True)
    ),
    model_out={"model": out.model},
    dataset_out={
        "train": out.train,
        "validation": out.validation,
        "test": out.test,
        "lineage": out.dataset_lineage,
    },
    records_file=out.records,
    figure_file=out.figure,
)
