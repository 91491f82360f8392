"""Scale a structure's cell isotropically to the run's volume."""

from mofglass.atomicio import read_frames
from mofglass.jobs.structures import write_structure
from mofglass.logs import setup_logging
from mofglass.structures import scale_volume

setup_logging(snakemake.log[0])
(atoms,) = read_frames(snakemake.input[0])
scaled = scale_volume(atoms, float(snakemake.wildcards.volume))
scaled.info["volume_scale"] = float(snakemake.wildcards.volume)
write_structure(snakemake.output[0], scaled, snakemake.wildcards.structure)
