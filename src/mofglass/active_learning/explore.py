"""Exploration: the start perturbations and the MD runs of an iteration (plain,
melt-quench, or under a metadynamics bias), and what they offer for labelling.

Units: Å, fs, ps, K, eV; errors as in :mod:`mofglass.evaluation` (meV/atom, meV/Å).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from ase import Atoms

from .. import enhanced
from ..frames import plain
from ..lammps import LAMMPSError
from ..md import MDResult, RunSpec, recipes, run_watched
from ..models import Model


def perturbations(
    atoms: Atoms, count: int, position_sigma_A: float, cell_strain: float, seed: int
) -> list[Atoms]:
    """Random perturbations of a structure: every cell gets a random symmetric strain
    (components uniform in ±cell_strain, atoms follow the cell) and every atom a
    Gaussian displacement of ``position_sigma_A`` (Å) per Cartesian component."""
    rng = np.random.default_rng([seed, 0])
    out = []
    for _ in range(count):
        strain = rng.uniform(-cell_strain, cell_strain, (3, 3))
        strain = 0.5 * (strain + strain.T)
        frame = atoms.copy()
        if atoms.pbc.any():
            frame.set_cell(np.asarray(atoms.cell) @ (np.eye(3) + strain), scale_atoms=True)
        frame.positions += rng.normal(0.0, position_sigma_A, frame.positions.shape)
        out.append(frame)
    return out


def start_displacement(sigma_A: float, temperature_K: float) -> float:
    """The displacement (Å per component) of an exploration start at ``temperature_K``:
    ``sigma_A`` at 300 K and above, scaled down as thermal amplitudes, sqrt(T / 300 K),
    below. The potential energy a start holds goes as its square: 0.05 Å heats 300 K to
    about 500 K at once, which at 100 K is past the watch's 3 x T runaway limit."""
    return sigma_A * min(1.0, math.sqrt(temperature_K / 300.0))


def displaced(atoms: Atoms, sigma_A: float, seed: Sequence[int]) -> Atoms:
    """A copy with Gaussian displacements of ``sigma_A`` (Å) per component."""
    frame = atoms.copy()
    frame.positions += np.random.default_rng(list(seed)).normal(0.0, sigma_A, frame.positions.shape)
    return frame


def explore(
    model: Model,
    crystal: Atoms,
    settings: Mapping,
    seed: int,
    md: RunSpec,
    workdir: str | Path,
) -> tuple[list[Atoms], MDResult]:
    """One exploration run with the current model, the damping and stability watch of
    ``md`` (the melt-quench's own watch block); returns the frames it offers for
    labelling (after step 0, none after the watch saw the run fail; ``time_fs`` in
    ``info``, the model's energies dropped) and the run's result.

    With a ``meltquench`` block in ``settings`` the run is the production protocol with
    its watch and segments, from the crystal itself (a displaced start holds potential
    energy that heats 300 K to ~500 K at once, which the watch calls a runaway; in the
    structure's own cell, as a label of the supercell costs 8x more); otherwise NVT or
    NPT at ``settings['temperature_K']`` from a start displaced by ``displacement_A``
    (:func:`start_displacement`).
    """
    if "meltquench" in settings:
        atoms, block = crystal.copy(), settings["meltquench"]
        protocol = recipes.meltquench(block, seed, md.damping)
    else:
        sigma = start_displacement(settings["displacement_A"], settings["temperature_K"])
        atoms = displaced(crystal, sigma, [seed])
        protocol = recipes.exploration(settings, settings["temperature_K"], seed, md.damping)
    result, _ = run_watched(model, atoms, protocol, workdir, md.watch)
    kept = before_failure(result.frames, result.failed_at_ps)
    frames = [plain(f, keep_results=False) for f in kept if f.info["step"] > 0]
    if result.verdict == "failed" and frames:
        frames[-1].info["failure"] = result.reason  # labelled whatever CBAD says
    for frame in frames:
        frame.info["time_fs"] = 1000.0 * frame.info.pop("time_ps")
    return frames, result


def explore_biased(
    model: Model,
    crystal: Atoms,
    bias: enhanced.Bias,
    settings: Mapping,
    seed: int,
    workdir,
    watch: Mapping | None = None,
) -> tuple[list[Atoms], dict]:
    """One exploration run under a metadynamics bias (:func:`biased_settings`), from a
    start displaced as a plain run's at the bias's temperature, under the stability
    watch of a ``watch`` config block (None: the temperature watch only).

    Returns the frames it offers for labelling (every ``dump_every`` steps after step
    0) and its row: verdict, reason, and the barrier (eV) of ``model`` that the run's
    hills give, with its error and the simulated time (ps). A run fails where LAMMPS or
    the watch stops it, or where its temperature passes ``max_temperature_factor``
    times the bias's (a model that breaks under the bias, into a hole it has never been
    shown): its frames up to that point are offered, the first failing one flagged
    ``failure``, and it gives no barrier.
    """
    block = settings["metadynamics"]
    sigma = start_displacement(settings["displacement_A"], bias.temperature_K)
    atoms = displaced(crystal, sigma, [seed])
    run = {
        **enhanced.run_settings(block),
        "seed": seed,
        "max_temperature_factor": settings["max_temperature_factor"],
    }
    row = {"verdict": "ok", "reason": f"under bias {settings['bias']}"}
    row.update(barrier_eV=math.nan, barrier_err_eV=math.nan, simulated_ps=math.nan)
    try:
        result, _, hills = enhanced.run_metadynamics(atoms, model, bias, run, workdir, watch=watch)
    except LAMMPSError as exc:  # a model LAMMPS cannot run: no frames
        row.update(verdict="failed", reason=str(exc).strip().splitlines()[0])
        return [], row
    kept = before_failure(result.frames, result.failed_at_ps)
    frames = [plain(f, keep_results=False) for f in kept if f.info["step"] > 0]
    for frame in frames:
        frame.info["time_fs"] = 1000.0 * frame.info.pop("time_ps")
        frame.info["bias"] = settings["bias"]
    if result.verdict == "failed":
        row.update(verdict="failed", reason=result.reason)
        if frames:
            frames[-1].info["failure"] = result.reason
    elif hills is not None and len(hills) >= 4:
        free = enhanced.free_energy(hills, bias, block["barrier"], run["timestep_fs"])
        row.update(barrier_eV=free.barrier_eV, barrier_err_eV=free.barrier_err_eV)
        row["simulated_ps"] = float(free.curve["time_ps"].iloc[-1])
    return frames, row


def barrier_of_runs(rows: Sequence[Mapping]) -> tuple[float, float]:
    """The barrier (eV) of one model from its biased runs and its standard error: the
    mean of the runs' barriers; the error combines their spread (over sqrt(n)) with
    each run's own error (in quadrature, over n). NaN when no run gave one."""
    table = pd.DataFrame(list(rows), columns=["barrier_eV", "barrier_err_eV"])
    table = table.apply(pd.to_numeric, errors="coerce")  # a table's empty cells: none
    pairs = [(v, e) for v, e in table.itertuples(index=False) if math.isfinite(v)]
    if not pairs:
        return math.nan, math.nan
    values = np.array([v for v, _ in pairs])
    own = np.array([e if math.isfinite(e) else 0.0 for _, e in pairs])
    spread = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return float(values.mean()), float(math.hypot(spread, math.sqrt((own**2).sum()) / len(own)))


def before_failure(frames: Sequence[Atoms], failed_at_ps: float) -> list[Atoms]:
    """The frames of a run up to its failure, the first failing frame included (a
    broken state the model made is what it must learn to avoid); all of them when it
    did not fail (``failed_at_ps`` NaN). Frames carry ``time_ps``."""
    if math.isnan(failed_at_ps):
        return list(frames)
    return [f for f in frames if f.info["time_ps"] <= failed_at_ps + 1e-9]
