"""Reading structures from built-in data or user files, with clear errors."""

from __future__ import annotations

import warnings
from pathlib import Path

import ase.io
import numpy as np
from ase import Atoms

from .builtin import builtin_crystal, builtin_data
from .checks import StructureError, check_structure
from .transform import normalise_hydrogens, primitive_cell

BUILTIN_PREFIX = "builtin:"
_FORMATS = {".cif": "cif", ".extxyz": "extxyz", ".xyz": "extxyz"}


def _clean(atoms: Atoms) -> Atoms:
    """A plain copy: positions, numbers, cell and pbc only (no calculator, no extra arrays)."""
    return Atoms(
        numbers=atoms.numbers.copy(),
        positions=atoms.positions.copy(),
        cell=atoms.cell.copy(),
        pbc=atoms.pbc.copy(),
    )


def read_structure_file(path: str | Path) -> Atoms:
    """Read one crystal from a CIF or extended-XYZ file.

    Raises :class:`StructureError` for a missing file, an unknown format, a file ASE
    cannot parse, several structures in one file, or partially occupied sites.
    """
    path = Path(path)
    if not path.is_file():
        raise StructureError(f"structure file not found: {path}")
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise StructureError(
            f"{path}: unknown structure format {path.suffix!r}; use .cif, .extxyz or .xyz"
        )
    kwargs = {"fractional_occupancies": True} if fmt == "cif" else {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            images = ase.io.read(path, index=":", format=fmt, **kwargs)
    except KeyError as exc:  # ASE's CIF reader fails this way on an unknown element symbol
        raise StructureError(
            f"{path}: unknown chemical element or atom type {exc.args[0]!r}"
        ) from exc
    except Exception as exc:  # ASE raises many types on malformed input
        detail = str(exc) or "invalid syntax"
        raise StructureError(
            f"{path}: cannot be read as {fmt.upper()} ({type(exc).__name__}: {detail})"
        ) from exc
    if not images:
        raise StructureError(f"{path}: no structure (cell and atom sites) found in the file")
    if len(images) > 1:
        raise StructureError(f"{path}: contains {len(images)} structures; give one per file")
    atoms = images[0]
    occupancy = atoms.info.get("occupancy") or {}
    partial = {
        site: occ
        for site, occ in occupancy.items()
        if len(occ) > 1 or any(not np.isclose(v, 1.0) for v in occ.values())
    }
    if partial:
        site, occ = next(iter(partial.items()))
        raise StructureError(
            f"{path}: {len(partial)} partially occupied or mixed site(s), e.g. site {site}: "
            f"{occ}; resolve the disorder into an ordered model first"
        )
    return _clean(atoms)


CELLS = ("preferred", "primitive", "conventional")


HYDROGENS = ("preferred", "as_given", "normalised")


def load_structure(source: str, cell: str = "preferred", hydrogens: str = "preferred") -> Atoms:
    """Load and check a structure given as ``builtin:<name>`` or a file path.

    ``cell``: ``conventional`` as given; ``primitive`` reduced with spglib;
    ``preferred`` the built-in crystal's own choice (primitive for the centred ZIF-8
    and MOF-5) and a file as given. ``hydrogens``: ``normalised`` moves each H to the
    neutron X-H length (:func:`normalise_hydrogens`, for X-ray H positions);
    ``as_given``; ``preferred`` the built-in crystal's choice (normalised for the X-ray
    MOF-5) and a file as given.
    """
    if cell not in CELLS:
        raise StructureError(f"unknown cell {cell!r}; use one of {', '.join(CELLS)}")
    if hydrogens not in HYDROGENS:
        raise StructureError(f"unknown hydrogens {hydrogens!r}; use one of {', '.join(HYDROGENS)}")
    if source.startswith(BUILTIN_PREFIX):
        name = source[len(BUILTIN_PREFIX) :]
        atoms = _clean(builtin_crystal(name))
        if cell == "preferred":
            cell = builtin_data(name).get("preferred_cell", "conventional")
        if hydrogens == "preferred":
            hydrogens = builtin_data(name).get("preferred_hydrogens", "as_given")
    else:
        atoms = read_structure_file(source)
    if hydrogens == "normalised":
        atoms = normalise_hydrogens(atoms)
    if cell == "primitive":
        atoms = _clean(primitive_cell(atoms))
    check_structure(atoms, source=source)
    return atoms
