"""Gather the frames to label from the AIMD trajectories."""

from mofglass.atomicio import read_frames, write_frames
from mofglass.logs import setup_logging
from mofglass.selection import stride_pool

setup_logging(snakemake.log[0])
pool = stride_pool(
    (read_frames(path) for path in snakemake.input),
    stride=snakemake.params.stride,
    equilibration_steps=snakemake.params.equilibration_steps,
)
write_frames(snakemake.output[0], pool)
