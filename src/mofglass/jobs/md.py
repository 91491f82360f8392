"""Stage 8, MD: the MD engine at work: a short run of every trained model (config md.check).

Jobs read files, call science, write files; they never import each other.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .. import plots
from ..atomicio import read_frames, write_frames, write_text
from ..md import Protocol, RunSpec, run_watched
from ..models import load_model
from ..structures import supercell

log = logging.getLogger(__name__)


def md_job(
    model_file: str,
    structure_file: str,
    protocol_block: Mapping,
    md: Mapping,
    workdir: str,
    thermo_file: str,
    trajectory_file: str,
    figure_file: str,
    verdict_file: str,
    repeat: Sequence[int] = (1, 1, 1),
) -> pd.DataFrame:
    """MD of a structure with a trained model: thermo table (TSV), trajectory (extxyz),
    temperature figure, and the run's verdict (TSV: ok, or failed with reason and time).

    A run that fails (runaway, lost atoms) is a result, not a job failure: its outputs
    are written and the verdict says what happened.
    """
    model = load_model(model_file)
    (atoms,) = read_frames(structure_file)
    atoms = supercell(atoms, repeat)
    settings = RunSpec.read(md)
    protocol = Protocol.from_config(protocol_block, settings.damping)
    result, row = run_watched(model, atoms, protocol, workdir, settings.watch)
    for frame in result.frames:
        frame.info.update(model=model.name, source="md")
    write_text(thermo_file, result.thermo.to_csv(sep="\t", index=False))
    write_frames(trajectory_file, result.frames)
    title = f"{model.name}: {len(atoms)} atoms, {result.verdict}"
    plots.thermo_plot(result.thermo, figure_file, title)
    nothing = pd.Series({"time_ps": 0.0, "temperature_K": np.nan, "pressure_GPa": np.nan})
    last = result.thermo.iloc[-1] if len(result.thermo) else nothing  # failed at set-up
    row.update(final_time_ps=last["time_ps"], final_temperature_K=last["temperature_K"])
    write_text(verdict_file, pd.DataFrame([row]).to_csv(sep="\t", index=False))
    log.info(
        "%s: final T %.1f K, P %.3f GPa", model.name, last["temperature_K"], last["pressure_GPa"]
    )
    return result.thermo
