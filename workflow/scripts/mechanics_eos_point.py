"""One volume of a sample's P(V) scan."""

from mofglass.jobs.mechanics import SampleRun, eos_point_job
from mofglass.logs import setup_logging

setup_logging(snakemake.log[0])
eos_point_job(
    SampleRun(**snakemake.params.run),
    scale=float(snakemake.wildcards.volume),
    outputs=dict(snakemake.output.items()),
)
