"""One volume of a sample's P(V) scan."""

from mofglass.jobs.mechanics import SampleRun, eos_point_job
from mofglass.logs import setup_logging
from mofglass.md import use_ranks

setup_logging(snakemake.log[0])
use_ranks(snakemake.threads)  # md.ranks: LAMMPS on this job's cores
eos_point_job(
    SampleRun(**snakemake.params.run),
    scale=float(snakemake.wildcards.volume),
    outputs=dict(snakemake.output.items()),
)
