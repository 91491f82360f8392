"""Stage 8, melt-quench: one replica of one model under the stability watch.

Jobs read files, call science, write files; they never import each other.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .. import meltquench, plots
from ..atomicio import read_frames, write_frames, write_text
from ..models import load_model
from ..structures import supercell


def meltquench_job(
    model_file: str,
    structure_file: str,
    block: Mapping,
    damping: Mapping,
    replica: int,
    workdir: str,
    outputs: Mapping[str, str],
) -> str:
    """One melt-quench replica with the stability watch; returns the verdict.

    Writes the thermo table (TSV), the trajectory and the final stage's frames (extxyz),
    the T(t) figure with the stages coloured, and the verdict (TSV). A replica that
    trips the watch is a result: ``failed``, why, and when.
    """
    model = load_model(model_file)
    (atoms,) = read_frames(structure_file)
    atoms = supercell(atoms, block["supercell"])
    result, row, glass = meltquench.replica(model, atoms, block, damping, replica, workdir)
    write_text(outputs["thermo"], result.thermo.to_csv(sep="\t", index=False))
    write_frames(outputs["trajectory"], result.frames)
    write_frames(outputs["final"], glass)
    title = f"{model.name} melt-quench, replica {replica}: {result.verdict}"
    plots.thermo_plot(result.thermo, outputs["figure"], title)
    write_text(outputs["verdict"], pd.DataFrame([row]).to_csv(sep="\t", index=False))
    return result.verdict
