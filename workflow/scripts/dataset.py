"""Assemble one dataset: labelled train/test/validation splits, quarantine, lineage."""

from mofglass.jobs.labels import dataset_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
dataset_job(
    selection_file=snakemake.input.selection,
    dataset=snakemake.wildcards.dataset,
    block=snakemake.params.block,
    labels=snakemake.params.labels,
    aimd_stress=snakemake.params.aimd_stress,
    split_files={name: snakemake.output[name] for name in ("train", "test", "validation")},
    quarantine_file=snakemake.output.quarantine,
    lineage_file=snakemake.output.lineage,
    labelled_file=snakemake.input.get("labelled"),
    label_quarantine_file=snakemake.input.get("label_quarantine"),
)
