"""Merge a level's labelling batches into its labelled set, quarantine and summary."""

from mofglass.jobs.labels import merge_label_batches
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
merge_label_batches(
    batch_files=snakemake.input.batches,
    quarantine_files=snakemake.input.quarantines,
    labelled_file=snakemake.output.labelled,
    quarantine_file=snakemake.output.quarantine,
    summary_file=snakemake.output.summary,
)
