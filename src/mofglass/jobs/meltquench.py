"""Stage 9, melt-quench: one replica of one model under the stability watch.

Jobs read files, call science, write files; they never import each other.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .. import meltquench, plots
from ..atomicio import read_frames, write_frames, write_text
from ..md import RunSpec
from ..models import load_model
from ..structures import supercell
from ..train import committee_members


def meltquench_job(
    model_file: str,
    structure_file: str,
    block: Mapping,
    md: Mapping,
    replica: int,
    workdir: str,
    outputs: Mapping[str, str],
    chemistry_file: str | None = None,
) -> str:
    """One melt-quench replica with the MD settings ``md`` (the rule's: damping and the
    stability watch, with the structure's chemistry from ``chemistry_file``); returns
    the verdict.

    Writes the thermo table (TSV), the trajectory and the final stage's frames (extxyz),
    the T(t) figure with the stages coloured, and the verdict (TSV). A replica that
    trips the watch is a result: ``failed``, why, and when.
    """
    model = load_model(model_file)
    (atoms,) = read_frames(structure_file)
    atoms = supercell(atoms, block["supercell"])
    settings = RunSpec.read(md, chemistry_file)
    result, row, glass = meltquench.replica(model, atoms, block, settings, replica, workdir)
    write_text(outputs["thermo"], result.thermo.to_csv(sep="\t", index=False))
    write_frames(outputs["trajectory"], result.frames)
    write_frames(outputs["final"], glass)
    title = f"{model.name} melt-quench, replica {replica}: {result.verdict}"
    plots.thermo_plot(result.thermo, outputs["figure"], title)
    write_text(outputs["verdict"], pd.DataFrame([row]).to_csv(sep="\t", index=False))
    return result.verdict


def committee_job(
    model_file: str, trajectory_file: str, thermo_file: str, high: float, outputs: Mapping
) -> pd.DataFrame:
    """σ_F of the model's committee along one melt-quench replica (``table``, CSV) and
    its figure (``figure``), with the trust bound ``high`` (eV/Å)."""
    members = [load_model(m) for m in committee_members(model_file)]
    frames = read_frames(trajectory_file)
    predictions = [m.predict(frames) for m in members]
    table = meltquench.committee_along(frames, predictions, high)
    write_text(outputs["table"], table.to_csv(index=False))
    thermo = pd.read_csv(thermo_file, sep="\t")
    beyond = table.loc[table["beyond_trust"], "time_ps"]
    title = f"{load_model(model_file).name}: " + (
        f"σ_F beyond {high:g} eV/Å from {beyond.iloc[0]:.2f} ps" if len(beyond) else "within trust"
    )
    plots.committee_plot(table, thermo, high, outputs["figure"], title)
    return table
