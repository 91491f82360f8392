"""Structural analysis of one source (structure, trajectory or structure set)."""

from mofglass.jobs.analysis import Source, analysis_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
analysis_job(
    name=snakemake.wildcards.source,
    source=Source(**snakemake.params.source),
    settings=snakemake.params.settings,
    outputs=dict(snakemake.output.items()),
)
