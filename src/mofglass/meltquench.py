"""Melt-quench (Castel et al.): heat a crystal at a constant rate, hold it molten,
quench it at a constant rate and equilibrate the glass, under the stability watch.

The protocol itself is a recipe of the MD engine (:func:`mofglass.md.recipes.meltquench`);
here is what a replica is: its run, its verdict row, and its glass (the frames of the
final stage). Temperatures K, rates K/ps, times ps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from ase import Atoms

from .md import MDResult, RunSpec, recipes, run_watched
from .models import Model


def final_frames(result: MDResult) -> list[Atoms]:
    """The frames after the final stage's first step (that one ends the quench)."""
    final_rows = result.thermo[result.thermo["stage"] == "final"]
    if not len(final_rows):
        return []
    first = final_rows["step"].min()
    return [f for f in result.frames if f.info["step"] > first]


def replica(
    model: Model,
    atoms: Atoms,
    block: Mapping,
    md: RunSpec,
    index: int,
    workdir: str | Path,
) -> tuple[MDResult, dict, list[Atoms]]:
    """Replica ``index`` of the melt-quench of ``block`` (seed ``block['seed'] + index``)
    with the damping and watch of ``md``: the run, its verdict row (with
    ``final_frames``), and the glass's frames (none when the run failed). Frames carry
    model, replica and source in ``info``."""
    protocol = recipes.meltquench(block, block["seed"] + index, md.damping)
    result, row = run_watched(model, atoms, protocol, workdir, md.watch, replica=index)
    for frame in result.frames:
        frame.info.update(model=model.name, replica=index, source="meltquench")
    final = final_frames(result)
    row["final_frames"] = len(final)
    return result, row, final if result.verdict == "ok" else []


def committee_along(
    frames: Sequence[Atoms], members: Sequence[Sequence[Atoms]], high_eV_per_A: float
) -> pd.DataFrame:
    """The committee's force deviation σ_F (eV/Å; :func:`mofglass.evaluation.
    force_deviation`) on every frame of a run (``members[k][frame]``: member k's
    prediction), with the frame's time (ps) and step, and whether it is beyond the
    trust bound ``high_eV_per_A`` (the run has left the model's domain there)."""
    from .evaluation import force_deviation

    rows = []
    for k, frame in enumerate(frames):
        sigma_max, sigma_mean = force_deviation([m[k] for m in members])
        rows.append(
            {
                "step": int(frame.info.get("step", k)),
                "time_ps": float(frame.info.get("time_ps", float("nan"))),
                "sigma_F_max_eV_per_A": sigma_max,
                "sigma_F_mean_eV_per_A": sigma_mean,
                "beyond_trust": sigma_max > high_eV_per_A,
            }
        )
    return pd.DataFrame(rows, columns=COMMITTEE_COLUMNS)


#: Columns of σ_F along a run (time ps, σ eV/Å).
COMMITTEE_COLUMNS = [
    "step",
    "time_ps",
    "sigma_F_max_eV_per_A",
    "sigma_F_mean_eV_per_A",
    "beyond_trust",
]
