"""Stage 1, structures: the cell as used, checked against every level of theory, and its
scaled volumes.

Jobs read files, call science, write files; they never import each other.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from ase import Atoms

from .. import chemistry
from ..atomicio import write_frames
from ..cp2k.inputs import check_overrides
from ..cp2k.levels import LevelOfTheory
from ..levels import is_calculator
from ..structures import load_structure, supercell

log = logging.getLogger(__name__)


def structure_job(
    output_file: str,
    name: str,
    block: Mapping,
    levels: Mapping[str, Mapping],
    data_dir: str | None,
    chemistry_file: str | None = None,
) -> Atoms:
    """Build a structure and check that every level of theory in use can describe it.

    Loads the source in the cell asked for, applies the supercell, checks each level's
    elements (basis sets, pseudopotentials, parameters) and its CP2K overrides, reads
    its chemistry (with the block's overrides; written to ``chemistry_file``), then
    writes the cell as used.
    """
    loaded = load_structure(block["source"], block["cell"], block["hydrogens"])
    atoms = supercell(loaded, block["supercell"])
    for level_name, level_block in levels.items():
        if is_calculator(level_block):
            continue  # checked before any job (mofglass.levels.missing)
        level = LevelOfTheory.from_config(level_name, level_block)
        level.check_elements(atoms.get_chemical_symbols(), data_dir)
        check_overrides(level)
    found = chemistry.derive(atoms, block["chemistry"])
    _warn_of_xray_hydrogens(name, atoms)
    write_structure(output_file, atoms, name, block["source"])
    if chemistry_file:
        found.write(chemistry_file)
    log.info(
        "%s: %s, %d atoms, cell %s Å",
        name,
        atoms.get_chemical_formula(),
        len(atoms),
        atoms.cell.cellpar().round(4).tolist(),
    )
    log.info(
        "%s: %s-%s bonds within %.2f Å, %s-coordinated %s; linkers %s; node ligands %s; "
        "%d atom types; linker bonds %s%s",
        name,
        found.metal,
        found.donor,
        found.cutoff_A,
        found.coordination,
        found.metal,
        found.linkers,
        found.node_ligands or "none",
        len(found.atom_types),
        ["-".join(p) for p in found.linker_bonds],
        f"; from the config: {', '.join(found.overridden)}" if found.overridden else "",
    )
    return atoms


def write_structure(path: str | Path, atoms: Atoms, name: str, source: str | None = None) -> None:
    """Write a structure (positions Å, cell Å) with its name and source in ``info``."""
    atoms = atoms.copy()
    atoms.info["structure"] = name
    if source is not None:
        atoms.info["structure_source"] = source
    write_frames(path, [atoms])


def _warn_of_xray_hydrogens(name: str, atoms: Atoms) -> None:
    """Log a warning when a C-H bond is shorter than 1.0 Å: X-ray H positions, which
    start MD with every C-H compressed (``hydrogens: normalised`` fixes them)."""
    from ase.neighborlist import neighbor_list

    i, j, d = neighbor_list("ijd", atoms, {("C", "H"): 1.2})
    symbols = atoms.get_chemical_symbols()
    ch = [r for a, b, r in zip(i, j, d, strict=True) if {symbols[a], symbols[b]} == {"C", "H"}]
    if ch and min(ch) < 1.0:
        log.warning(
            "%s: C-H bonds down to %.3f Å, X-ray H positions (neutron: 1.083 Å); set "
            "structures.%s.hydrogens: normalised unless they are meant",
            name,
            min(ch),
            name,
        )
