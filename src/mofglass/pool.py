"""The pool: one row per usable AIMD frame, built from the runs' thermo tables.

Selection works on this table (energies, provenance) and never needs to load a
frame's atoms to bin energies. Columns (units in the names where they have one):

``frame_id``            stable name of the frame: ``<run>:<step>``
``structure``           structure name in the config
``run``                 AIMD run, e.g. ``ZIF-4/T1500_V1.000``
``trajectory``          path of the run's trajectory (extended XYZ)
``frame``               position of the frame in that file (0-based)
``step``, ``time_fs``   MD step and time (fs)
``temperature_K``       thermostat target temperature of the run (K)
``volume_scale``        V / V0 of the run's cell
``n_atoms``             number of atoms
``energy_eV``           potential energy (eV) at the sampling level of theory
``energy_per_atom_eV``  the same per atom (eV/atom)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .plan import AIMDRun

log = logging.getLogger(__name__)

#: Where a frame comes from: its run, the trajectory file and its place there, the MD
#: step, time (fs) and thermostat temperature (K).
FRAME_COLUMNS = ["run", "trajectory", "frame", "step", "time_fs", "temperature_K"]

POOL_COLUMNS = [
    "frame_id",
    "structure",
    *FRAME_COLUMNS,
    "volume_scale",
    "n_atoms",
    "energy_eV",
    "energy_per_atom_eV",
]


def frame_id(run: str, step: int) -> str:
    """The stable name of a frame: its run and MD step."""
    return f"{run}:{int(step)}"


def run_table(run: AIMDRun, thermo_file: str, trajectory_file: str) -> pd.DataFrame:
    """Pool rows of one AIMD run from its thermo table (see :func:`aimd.thermo_table`)."""
    thermo = pd.read_csv(thermo_file, sep="\t", keep_default_na=False)
    table = pd.DataFrame(
        {
            "frame_id": [frame_id(run.name, s) for s in thermo["step"]],
            "structure": run.structure,
            "run": run.name,
            "trajectory": str(trajectory_file),
            "frame": thermo["frame"].astype(int),
            "step": thermo["step"].astype(int),
            "time_fs": thermo["time_fs"].astype(float),
            "temperature_K": float(run.temperature_K),
            "volume_scale": float(run.volume_scale),
            "n_atoms": thermo["n_atoms"].astype(int),
            "energy_eV": thermo["potential_energy_eV"].astype(float),
        }
    )
    table["energy_per_atom_eV"] = table["energy_eV"] / table["n_atoms"]
    table["problem"] = thermo["problem"].astype(str)
    return table


def build_pool(
    runs: Iterable[tuple[AIMDRun, str, str]], equilibration_steps: int = 0
) -> pd.DataFrame:
    """The pool from ``(run, thermo_file, trajectory_file)`` triples.

    Keeps frames with step > ``equilibration_steps``; frames with a recorded problem
    (unconverged SCF, non-finite values) are dropped and each one is logged.
    """
    tables = [run_table(*item) for item in runs]
    if not tables:
        return pd.DataFrame(columns=POOL_COLUMNS)
    table = pd.concat(tables, ignore_index=True)
    table = table[table["step"] > equilibration_steps]
    bad = table["problem"] != ""
    for row in table[bad].itertuples():
        log.warning("pool: dropping %s: %s", row.frame_id, row.problem)
    table = table[~bad & np.isfinite(table["energy_eV"])]
    return table[POOL_COLUMNS].reset_index(drop=True)


def restrict(
    pool: pd.DataFrame, stride: int = 1, temperatures_K: Sequence[float] | None = None
) -> pd.DataFrame:
    """A dataset's candidates: every ``stride``-th pool frame of each run, optionally
    only runs at the given temperatures (K)."""
    if stride < 1:
        raise ValueError(f"stride must be at least 1, got {stride}")
    keep = pool.groupby("run", sort=False).cumcount() % stride == stride - 1
    if temperatures_K is not None:
        keep &= np.isin(pool["temperature_K"], np.asarray(temperatures_K, dtype=float))
    return pool[keep].reset_index(drop=True)
