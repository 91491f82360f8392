"""Crystal structures: built-in crystals, user files, checks, supercells and volume scaling.

A structure source is either ``builtin:<name>`` (a crystal generated from the
crystallographic data shipped in ``mofglass/structures/builtin``) or the path of a CIF
or extended-XYZ file. Every structure passes :func:`check_structure` before use.
"""

from .builtin import builtin_crystal, builtin_names
from .checks import StructureError, check_structure
from .load import load_structure, read_structure_file
from .transform import NEUTRON_XH_A, normalise_hydrogens, primitive_cell, scale_volume, supercell

__all__ = [
    "StructureError",
    "builtin_crystal",
    "builtin_names",
    "check_structure",
    "load_structure",
    "read_structure_file",
    "scale_volume",
    "supercell",
    "normalise_hydrogens",
    "NEUTRON_XH_A",
    "primitive_cell",
]
