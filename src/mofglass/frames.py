"""Frames: ASE Atoms carrying energy (eV), forces (eV/Å), stress (eV/Å³) and provenance.

Provenance lives in ``atoms.info`` and travels through extended-XYZ files:

``source``             where the frame comes from (``aimd``, ...)
``structure``          structure name in the config
``run``                the sampling run, e.g. ``ZIF-4/T1500_V1.000``
``step``, ``time_fs``  MD step and time (fs) in that run
``temperature_K``      thermostat target temperature (K)
``volume_scale``       V / V0 of the cell the run used
``level_of_theory``    config name of the level that computed energy/forces/stress
``scf_converged``      whether that calculation's SCF converged
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.stress import full_3x3_to_voigt_6_stress

from .chemistry import TYPE_ARRAY


def attach_results(
    atoms: Atoms, energy: float, forces: np.ndarray, stress: np.ndarray | None = None
) -> Atoms:
    """Attach energy (eV), forces (eV/Å) and optionally a 3x3 or Voigt stress (eV/Å³)."""
    results = {"energy": float(energy), "forces": np.asarray(forces, dtype=float)}
    if stress is not None:
        stress = np.asarray(stress, dtype=float)
        results["stress"] = full_3x3_to_voigt_6_stress(stress) if stress.shape == (3, 3) else stress
    atoms.calc = SinglePointCalculator(atoms, **results)
    return atoms


def frame_problem(atoms: Atoms) -> str | None:
    """Why a frame must not be used as data, or None if it is fine."""
    if atoms.info.get("runaway"):  # at or after the point where its run ran away
        return str(atoms.info["runaway"])
    if not atoms.info.get("scf_converged", True):
        return "SCF not converged"
    calc = atoms.calc
    if calc is None or "energy" not in calc.results or "forces" not in calc.results:
        return "no energy/forces"
    for key, value in calc.results.items():
        if not np.all(np.isfinite(value)):
            return f"non-finite {key}"
    return None


def plain(atoms: Atoms, keep_results: bool = True) -> Atoms:
    """The frame's species, positions, cell, ``info`` and the atom types it carries from
    its run's start (:data:`mofglass.chemistry.TYPE_ARRAY`), without velocities or
    masses; with a copy of its energy, forces and stress if ``keep_results``."""
    out = Atoms(atoms.numbers, positions=atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
    out.info.update(atoms.info)
    if TYPE_ARRAY in atoms.arrays:
        out.arrays[TYPE_ARRAY] = atoms.arrays[TYPE_ARRAY].copy()
    if keep_results and atoms.calc is not None:
        kept = ("energy", "forces", "stress")
        results = {k: v for k, v in atoms.calc.results.items() if k in kept}
        out.calc = SinglePointCalculator(out, **results)
    return out
