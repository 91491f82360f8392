"""One (T, P) point of a sample's NPT cell scans."""

from mofglass.jobs.mechanics import SampleRun, expansion_point_job
from mofglass.logs import setup_logging
from mofglass.md import use_ranks

setup_logging(snakemake.log[0])
use_ranks(snakemake.threads)  # md.ranks: LAMMPS on this job's cores
temperature, pressure = snakemake.wildcards.point[1:].split("_P")
expansion_point_job(
    SampleRun(**snakemake.params.run),
    temperature_K=float(temperature),
    pressure_GPa=float(pressure),
    outputs=dict(snakemake.output.items()),
)
