"""Stage 12, enhanced sampling: one well-tempered metadynamics run of a model on a
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
from collections.abc import Mapping

import pandas as pd
from ase.units import kJ, mol

from .. import chemistry, enhanced, plots
from ..atomicio import read_frames, write_table
from ..lammps import LAMMPSError
from ..md import RunSpec
from ..models import load_model

log = logging.getLogger(__name__)
EV_TO_KJ_PER_MOL = mol / kJ


def _without_fes(name: str, row: dict, outputs: Mapping[str, str]) -> dict:
    """The outputs of a run that gave no FES: empty tables, figures that say why."""
    for key in ("fes", "convergence"):
        write_table(outputs[key], pd.DataFrame())
        plots.empty_figure(outputs[f"{key}_figure"], f"{name}: {row['reason']}")
    write_table(outputs["barrier"], pd.DataFrame([row]))
    return row


def _write_fes(name: str, free, row: dict, outputs: Mapping[str, str]) -> None:
    """The FES, its convergence and the barrier row, with their figures."""
    write_table(outputs["fes"], free.fes)
    write_table(outputs["convergence"], free.curve)
    write_table(outputs["barrier"], pd.DataFrame([row]))
    title = f"{name}: well-tempered metadynamics"
    interval = {"basin": free.basin, "top": free.top}
    if free.line is None:
        plots.fes_plot(free.fes, path=outputs["fes_figure"], title=title, **interval)
    else:
        plots.fes_2d_plot(free.fes, free.line, path=outputs["fes_figure"], title=title, **interval)
    plots.convergence_plot(
        free.curve, row["barrier_eV"], row["barrier_err_eV"], outputs["convergence_figure"], name
    )


def enhanced_job(
    model_file: str,
    structure_file: str,
    name: str,
    block: Mapping,
    backend: str,
    workdir: str,
    outputs: Mapping[str, str],
    chemistry_file: str | None = None,
    md: Mapping | None = None,
) -> dict:
    """Run the bias ``name`` (config block) with a model, its CVs built on the
    structure's chemistry, under the stability watch of the rule's MD settings ``md``
    (its ``max_temperature_factor`` the temperature watch's); returns the barrier row."""
    (atoms,) = read_frames(structure_file)[-1:]
    found = chemistry.read(chemistry_file)
    bias = enhanced.bias_for(atoms, block, found)
    along = block["barrier"].get("cv") or bias.metad_cvs[0]
    row = {
        "bias": name,
        "cv": along,
        "cv_type": bias.cv(along).type,
        "metad_cvs": " ".join(bias.metad_cvs),
        "backend": backend,
    }
    try:
        result, run, hills = enhanced.run_metadynamics(
            atoms,
            load_model(model_file),
            bias,
            enhanced.run_settings(block),
            workdir,
            backend,
            watch=RunSpec.read(md, found=found).watch,
        )
    except LAMMPSError as exc:  # a model or LAMMPS that cannot run it: failed, and why
        log.warning("%s: %s", name, exc)
        row.update(verdict="failed", reason=str(exc).splitlines()[0])
        return _without_fes(name, row, outputs)
    seconds = run["wall_s"]
    if result.verdict == "failed":  # an unstable run is a result: failed, and why
        row.update(verdict="failed", reason=result.reason, failed_at_ps=result.failed_at_ps)
        hills = None
    elif hills is None:  # PLUMED: its HILLS file is for plumed sum_hills
        row.update(verdict="ran", reason="FES rebuilt from Colvars hills only: see HILLS")
    elif len(hills) < 4:
        row.update(verdict="failed", reason=f"{len(hills)} hills: too few for a FES")
    if hills is None or len(hills) < 4:
        return _without_fes(name, row, outputs)
    free = enhanced.free_energy(hills, bias, block["barrier"], block["timestep_fs"])
    row.update(_barrier(free, len(hills), seconds))
    _write_fes(name, free, row, outputs)
    log.info("%s: barrier %.4f ± %.4f eV after %.2f ps",
             name, row["barrier_eV"], row["barrier_err_eV"], row["simulated_ps"])  # fmt: skip
    return row


def _barrier(free, hills: int, seconds: float) -> dict:
    """The barrier of a FES (eV and kJ/mol, with errors), the time it was read at (ps),
    its ``hills`` and the run's wall time (s), and whether it has converged."""
    value, error = free.barrier_eV, free.barrier_err_eV
    status, why = enhanced.convergence_status(value, error, enhanced.barrier_drift(free.curve))
    return {
        "barrier_eV": value,
        "barrier_err_eV": error,
        "barrier_kJ_per_mol": value * enhanced.EV_TO_KJ_PER_MOL,
        "barrier_err_kJ_per_mol": error * enhanced.EV_TO_KJ_PER_MOL,
        "simulated_ps": float(free.curve["time_ps"].iloc[-1]),
        "hills": hills,
        "wall_s": seconds,
        "verdict": "ok",
        "reason": why,
        "status": status,
    }
