"""Merge the labelling batches into the labelled set, the quarantine and a summary."""

from mofglass.logs import setup_logging
from mofglass.workflow import merge_label_batches

setup_logging(snakemake.log[0])
merge_label_batches(
    batch_files=[p for p in snakemake.input if not p.endswith(".quarantine.extxyz")],
    quarantine_files=[p for p in snakemake.input if p.endswith(".quarantine.extxyz")],
    labelled_file=snakemake.output.labelled,
    quarantine_file=snakemake.output.quarantine,
    summary_file=snakemake.output.summary,
)
