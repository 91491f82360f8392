"""Build one structure: load, check against the levels of theory in use, apply the supercell."""

from mofglass.cp2k.levels import LevelOfTheory
from mofglass.logs import setup_logging
from mofglass.structures import load_structure, supercell
from mofglass.workflow import write_structure

setup_logging(snakemake.log[0])
block = snakemake.params.block
atoms = supercell(load_structure(block["source"]), block["supercell"])
for name, level in snakemake.params.levels.items():
    LevelOfTheory.from_config(name, level).check_elements(
        atoms.get_chemical_symbols(), snakemake.params.data_dir
    )
write_structure(snakemake.output[0], atoms, snakemake.wildcards.structure, block["source"])
