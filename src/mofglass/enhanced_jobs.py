"""Job-level entry point of enhanced sampling: one well-tempered metadynamics run of a
model on a structure, its free-energy surface, barrier and convergence.

Outputs (units in the column names): ``fes.csv`` (the CV in the description's units,
rad or Å; F in eV and kJ/mol), ``convergence.csv`` (time_ps, hills, barrier_eV),
``barrier.csv`` (the barrier with its error, eV and kJ/mol, and the verdict), the
Colvars and PLUMED inputs of the run, ``fes.png`` and ``convergence.png``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from ase.units import kJ, mol

from . import enhanced, plots
from .atomicio import read_frames, write_table
from .lammps import LAMMPSError
from .models import load_model

log = logging.getLogger(__name__)
EV_TO_KJ_PER_MOL = mol / kJ


def bias_for(atoms, block: Mapping) -> enhanced.Bias:
    """The bias of a config block on a structure: its CVs listed, or built from the
    structure (``cvs: imidazolate_rotation``)."""
    if block["cvs"] == "imidazolate_rotation":
        cvs = enhanced.rotation_cvs(atoms, block.get("zn_n_cutoff_A", 2.5))
    else:
        cvs = [enhanced.CV.from_config(cv) for cv in block["cvs"]]
    return enhanced.Bias.from_config(block, cvs, block["temperature_K"])


def enhanced_job(
    model_dir: str,
    structure_file: str,
    name: str,
    block: Mapping,
    backend: str,
    workdir: str,
    outputs: Mapping[str, str],
) -> dict:
    """Run the bias ``name`` (config block) with a model; returns the barrier row."""
    (atoms,) = read_frames(structure_file)[-1:]
    bias = bias_for(atoms, block)
    cv = bias.cv(bias.metad_cvs[0])
    if len(bias.metad_cvs) != 1:
        raise ValueError(f"bias {name}: the FES and barrier are built for one metad CV")
    settings = {
        k: block[k]
        for k in (
            "timestep_fs",
            "langevin_damping_fs",
            "seed",
            "thermo_every",
            "dump_every",
            "steps",
        )
    }
    scale = math.degrees(1.0) if cv.angular else 1.0  # Colvars units per description unit
    row = {"bias": name, "cv": cv.name, "cv_type": cv.type, "backend": backend}
    try:
        hills, seconds = enhanced.run_metadynamics(
            atoms, load_model(model_dir), bias, settings, workdir, backend
        )
    except LAMMPSError as exc:  # an unstable run is a result: failed, and why
        log.warning("%s: %s", name, exc)
        row.update(verdict="failed", reason=str(exc).splitlines()[0])
        hills = None
    else:
        if hills is None:  # PLUMED: its HILLS file is for plumed sum_hills
            row.update(verdict="ran", reason="FES rebuilt from Colvars hills only: see HILLS")
        elif len(hills) < 4:
            row.update(verdict="failed", reason=f"{len(hills)} hills: too few for a FES")
    if hills is None or len(hills) < 4:
        for key in ("fes", "convergence"):
            write_table(outputs[key], pd.DataFrame())
            plots.empty_figure(outputs[f"{key}_figure"], f"{name}: {row['reason']}")
        write_table(outputs["barrier"], pd.DataFrame([row]))
        return row
    lo, hi = bias.grid_min[0] * scale, bias.grid_max[0] * scale
    grid = np.linspace(lo, hi, 721)
    period = 360.0 if cv.angular else None
    basin = [v * scale for v in block["barrier"]["basin"]]
    top = [v * scale for v in block["barrier"]["top"]]
    free = enhanced.fes_1d(hills, grid, bias.bias_factor, period=period)
    free_err = enhanced.fes_error(hills, grid, bias.bias_factor, period=period)
    curve = enhanced.convergence(
        hills, grid, bias.bias_factor, basin, top, block["timestep_fs"], period=period
    )
    value, error = enhanced.barrier_estimate(curve)
    unit = "rad" if cv.angular else "A"
    fes = pd.DataFrame(
        {
            f"{cv.name}_{unit}": grid / scale,
            "F_eV": free,
            "F_kJ_per_mol": free * EV_TO_KJ_PER_MOL,
            "F_err_eV": free_err,
            "F_err_kJ_per_mol": free_err * EV_TO_KJ_PER_MOL,
        }
    )
    row.update(
        barrier_eV=value,
        barrier_err_eV=error,
        barrier_kJ_per_mol=value * EV_TO_KJ_PER_MOL,
        barrier_err_kJ_per_mol=error * EV_TO_KJ_PER_MOL,
        simulated_ps=float(curve["time_ps"].iloc[-1]),
        hills=len(hills),
        wall_s=seconds,
        verdict="ok",
        reason="",
    )
    write_table(outputs["fes"], fes)
    write_table(outputs["convergence"], curve)
    write_table(outputs["barrier"], pd.DataFrame([row]))
    plots.fes_plot(
        fes,
        basin=[v / scale for v in basin],
        top=[v / scale for v in top],
        path=outputs["fes_figure"],
        title=f"{name}: well-tempered metadynamics",
    )
    plots.convergence_plot(curve, value, error, outputs["convergence_figure"], name)
    log.info("%s: barrier %.4f ± %.4f eV after %.2f ps", name, value, error, row["simulated_ps"])
    return row
