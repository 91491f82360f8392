"""Stage 11, enhanced sampling: one well-tempered metadynamics run of a model on a
structure, its free-energy surface, barrier and convergence.

Outputs (units in the column names): ``fes.csv`` (one row per grid point of the one or
two metad CVs, in the description's units: rad, Å, Å³ or 1; F and its error in eV and
kJ/mol), ``convergence.csv`` (time_ps, hills, barrier_eV along the barrier CV; a 2-D FES
projected on it),
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

from .. import enhanced, plots
from ..atomicio import read_frames, write_table
from ..lammps import LAMMPSError
from ..models import load_model

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
    model_file: str,
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
    cvs = [bias.cv(n) for n in bias.metad_cvs]
    along = bias.metad_cvs.index(block["barrier"].get("cv") or bias.metad_cvs[0])
    settings = {
        k: block[k]
        for k in (
            "timestep_fs",
            "langevin_damping_fs",
            "seed",
            "thermo_every",
            "dump_every",
            "steps",
            "pressure_GPa",
            "barostat_damping_fs",
        )
        if k in block
    }
    row = {
        "bias": name,
        "cv": bias.metad_cvs[along],
        "cv_type": cvs[along].type,
        "metad_cvs": " ".join(bias.metad_cvs),
        "backend": backend,
    }
    try:
        hills, seconds = enhanced.run_metadynamics(
            atoms, load_model(model_file), bias, settings, workdir, backend
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
    # the hills are in Colvars units (degrees for angles): grids and intervals too
    scales = [math.degrees(1.0) if cv.angular else 1.0 for cv in cvs]
    points = 721 if len(cvs) == 1 else 181  # per CV: a 2-D FES is 181 x 181
    grids = [
        np.linspace(lo * sc, hi * sc, points)
        for lo, hi, sc in zip(bias.grid_min, bias.grid_max, scales, strict=True)
    ]
    periods = [360.0 if cv.angular else None for cv in cvs]
    basin = [v * scales[along] for v in block["barrier"]["basin"]]
    top = [v * scales[along] for v in block["barrier"]["top"]]
    free = enhanced.fes(hills, grids, bias.bias_factor, periods=periods)
    free_err = enhanced.fes_error(hills, grids, bias.bias_factor, periods=periods)
    curve = enhanced.convergence(
        hills,
        grids,
        bias.bias_factor,
        basin,
        top,
        block["timestep_fs"],
        periods=periods,
        along=along,
        temperature_K=bias.temperature_K,
    )
    value, error = enhanced.barrier_estimate(curve)
    axes = np.meshgrid(*(g / sc for g, sc in zip(grids, scales, strict=True)), indexing="ij")
    columns = {f"{cv.name}_{cv_unit(cv)}": a.ravel() for cv, a in zip(cvs, axes, strict=True)}
    fes = pd.DataFrame(
        columns
        | {
            "F_eV": free.ravel(),
            "F_kJ_per_mol": free.ravel() * EV_TO_KJ_PER_MOL,
            "F_err_eV": free_err.ravel(),
            "F_err_kJ_per_mol": free_err.ravel() * EV_TO_KJ_PER_MOL,
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
    title = f"{name}: well-tempered metadynamics"
    interval = {
        "basin": [v / scales[along] for v in basin],
        "top": [v / scales[along] for v in top],
    }
    if len(cvs) == 1:
        plots.fes_plot(fes, path=outputs["fes_figure"], title=title, **interval)
    else:
        projected = enhanced.project(free, along, bias.temperature_K)
        projected_err = enhanced.fes_error(
            hills,
            grids,
            bias.bias_factor,
            periods=periods,
            along=along,
            temperature_K=bias.temperature_K,
        )
        line = pd.DataFrame(
            {
                list(columns)[along]: grids[along] / scales[along],
                "F_kJ_per_mol": projected * EV_TO_KJ_PER_MOL,
                "F_err_kJ_per_mol": projected_err * EV_TO_KJ_PER_MOL,
            }
        )
        plots.fes_2d_plot(fes, line, path=outputs["fes_figure"], title=title, **interval)
    plots.convergence_plot(curve, value, error, outputs["convergence_figure"], name)
    log.info("%s: barrier %.4f ± %.4f eV after %.2f ps", name, value, error, row["simulated_ps"])
    return row


def cv_unit(cv: enhanced.CV) -> str:
    """The unit of a CV in column names: rad, A, A3, or 1 (a coordination number)."""
    return {"dihedral": "rad", "volume": "A3", "coordination": "1"}.get(cv.type, "A")
