"""Structural analysis of one source (structure, trajectory or structure set)."""

from mofglass.jobs.analysis import analysis_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
analysis_job(
    files=list(snakemake.input.files),
    reference_file=snakemake.params.reference,
    name=snakemake.wildcards.source,
    settings=snakemake.params.settings,
    outdir=str(snakemake.output.summary).rsplit("/", 1)[0],
    temperature_K=snakemake.params.temperature_K,
    temperature_from=snakemake.params.temperature_from,
    independent=snakemake.params.independent,
    last_frames=snakemake.params.last_frames,
)
