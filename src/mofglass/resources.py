"""Cluster requests of each job, estimated from the config: wall time (min) and memory (MB).

A scheduler kills a job that outlives its request, and a request far above the need
waits longer in the queue, so estimates scale with what a job does: atoms times force
evaluations for CP2K, atoms times MD steps for the MLP engines. Each retry (``attempt``
2, 3, ...) doubles the time and memory, so a job that ran out is resubmitted bigger.

The per-atom costs are single-core figures. GFN1-xTB and SNAP are measured on this
project's machine (bench/README.md); the DFT figure is an order-of-magnitude estimate for
GPW with DZVP basis sets at a 600 Ry cutoff, deliberately generous.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from .md import Stage, recipes

# core-seconds per atom per force evaluation (an SCF to convergence), by method
# ("calculator": an ASE calculator level on a CPU, SevenNet-0 measured at 0.006, and
# the same per MD step as per single point: the generous figure covers both)
CP2K_CORE_S_PER_ATOM = {"gfn1-xtb": 0.15, "pbe-d3": 60.0, "calculator": 0.02}
# an MD step starts from the previous step's wavefunction: fewer SCF iterations
MD_STEP_FRACTION = 0.35
# memory per MPI rank (MB): fixed part plus a part per atom, by method
CP2K_MEMORY_MB = {"gfn1-xtb": (400.0, 1.5), "pbe-d3": (1500.0, 20.0), "calculator": (1500.0, 2.0)}
# MLP MD on the device a job gets: µs per atom per step
MD_US_PER_ATOM_STEP = {
    "snap": 40.0,
    "nequip": 300.0,
    "allegro": 100.0,
    "mace": 500.0,
    "published": 300.0,  # Castel et al.'s NequIP: 282 on a V100 (9000 on 2 CPU cores)
    "foundation": 5000.0,  # the shipped ones on CPU: CHGNet 2600, SevenNet-0 4800 (ZIF-4)
    "finetune": 5000.0,  # as its foundation
}
SAFETY = 2.0
MIN_RUNTIME_MIN = 10
STARTUP_MIN = 2.0  # Python, Snakemake and the program starting, input schemas loaded


# GPUs a model family needs by default: SNAP runs on CPUs
#: a foundation model runs where its level's kwargs put it (the shipped ones: CPU)
#: a fine-tuning trains on one, as the families do
FAMILY_GPUS = {
    "snap": 0,
    "nequip": 1,
    "allegro": 1,
    "mace": 1,
    "published": 1,
    "foundation": 0,
    "finetune": 1,
}


def model_gpus(block: Mapping) -> int:
    """GPUs per job of a model (config ``models.<name>``): its ``gpus``, else its family's."""
    gpus = block.get("gpus")
    return FAMILY_GPUS[block["type"]] if gpus is None else int(gpus)


def atoms_in(path: str | Path) -> int:
    """Atoms in the first frame of an extended-XYZ file (its first line) or an ASE
    trajectory (``.traj``); 0 if empty."""
    if str(path).endswith(".traj"):
        return _trajectory(path, lambda frames: len(frames[0]) if len(frames) else 0)
    with open(path) as f:
        line = f.readline().split()
    return int(line[0]) if line else 0


def frames_in(path: str | Path) -> int:
    """Frames in an extended-XYZ file (counted from its atom-count lines) or an ASE
    trajectory (``.traj``)."""
    if str(path).endswith(".traj"):
        return _trajectory(path, len)
    frames = 0
    with open(path) as f:
        while line := f.readline():
            n = int(line.split()[0])
            frames += 1
            for _ in range(n + 1):
                f.readline()
    return frames


def _trajectory(path: str | Path, measure) -> int:
    """``measure`` of an ASE trajectory's frames (0 for the empty file of a failed run)."""
    if Path(path).stat().st_size == 0:
        return 0
    from ase.io.trajectory import Trajectory

    with Trajectory(str(path)) as frames:
        return measure(frames)


def _minutes(seconds: float, attempt: int) -> int:
    minutes = SAFETY * seconds / 60.0 + STARTUP_MIN
    return max(MIN_RUNTIME_MIN, math.ceil(minutes * 2 ** (attempt - 1)))


def cp2k_runtime_min(
    method: str, n_atoms: int, single_points: int, md_steps: int, cores: int, attempt: int = 1
) -> int:
    """Wall time (min) of a CP2K job: ``single_points`` SCFs plus ``md_steps`` MD steps of
    ``n_atoms`` atoms on ``cores`` cores (parallel efficiency taken as 1/2 beyond one)."""
    per_eval = CP2K_CORE_S_PER_ATOM[method] * n_atoms
    core_seconds = per_eval * (single_points + MD_STEP_FRACTION * md_steps)
    speedup = 1.0 if cores <= 1 else max(1.0, cores / 2.0)
    return _minutes(core_seconds / speedup, attempt)


def cp2k_mem_mb_per_cpu(method: str, n_atoms: int, attempt: int = 1) -> int:
    """Memory per core (MB) of a CP2K job on ``n_atoms`` atoms."""
    fixed, per_atom = CP2K_MEMORY_MB[method]
    return math.ceil((fixed + per_atom * n_atoms) * 2 ** (attempt - 1))


def md_runtime_min(model_type: str, n_atoms: int, steps: int, attempt: int = 1) -> int:
    """Wall time (min) of MLP MD: ``steps`` steps of ``n_atoms`` atoms."""
    seconds = MD_US_PER_ATOM_STEP[model_type] * 1e-6 * n_atoms * steps
    return _minutes(seconds, attempt)


def protocol_steps(block: Mapping) -> int:
    """MD steps (or minimiser iterations) of a protocol block with ``stages``."""
    return sum(Stage.from_config(stage).n_steps for stage in block["stages"])


def meltquench_steps(block: Mapping) -> int:
    """MD steps of the config's melt-quench protocol (``meltquench`` block)."""
    return sum(stage.n_steps for stage in recipes.meltquench(block, seed=1).stages)
