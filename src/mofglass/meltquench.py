"""Melt-quench (Castel et al.): heat a crystal at a constant rate, hold it molten,
quench it at a constant rate and equilibrate the glass, under the stability watch.

The protocol itself is a recipe of the MD engine (:func:`mofglass.md.recipes.meltquench`);
here is what a replica is: its run, its verdict row, and its glass (the frames of the
final stage). Temperatures K, rates K/ps, times ps.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ase import Atoms

from .md import MDResult, recipes, run_watched
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
    damping: Mapping,
    index: int,
    workdir: str | Path,
) -> tuple[MDResult, dict, list[Atoms]]:
    """Replica ``index`` of the melt-quench of ``block`` (seed ``block['seed'] + index``):
    the run, its verdict row (with ``final_frames``), and the glass's frames (none when
    the run failed). Frames carry model, replica and source in ``info``."""
    protocol = recipes.meltquench(block, block["seed"] + index, damping)
    result, row = run_watched(model, atoms, protocol, workdir, block["watch"], replica=index)
    for frame in result.frames:
        frame.info.update(model=model.name, replica=index, source="meltquench")
    final = final_frames(result)
    row["final_frames"] = len(final)
    return result, row, final if result.verdict == "ok" else []
