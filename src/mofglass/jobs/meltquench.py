"""Stage 7, melt-quench: one replica of one model under the stability watch.

Jobs read files, call science, write files; they never import each other.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

import pandas as pd

from .. import analysis, plots
from ..atomicio import read_frames, write_frames, write_text
from ..md import meltquench_protocol, run_md
from ..models import load_model
from ..structures import supercell

log = logging.getLogger(__name__)


def meltquench_job(
    model_dir: str,
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
    model = load_model(model_dir)
    (atoms,) = read_frames(structure_file)
    atoms = supercell(atoms, block["supercell"])
    watch = analysis.StabilityWatch.from_config(atoms, block["watch"])
    protocol = meltquench_protocol(block, block["seed"] + replica, damping)
    start = time.perf_counter()
    result = run_md(atoms, model, protocol, workdir, watch=watch.problems)
    seconds = time.perf_counter() - start
    for frame in result.frames:
        frame.info.update(model=model.name, replica=replica, source="meltquench")
    final_rows = result.thermo[result.thermo["stage"] == "final"]
    final = []
    if len(final_rows):  # frames after the final stage's first step (that one ends the quench)
        first = final_rows["step"].min()
        final = [f for f in result.frames if f.info["step"] > first]
    write_text(outputs["thermo"], result.thermo.to_csv(sep="\t", index=False))
    write_frames(outputs["trajectory"], result.frames)
    write_frames(outputs["final"], final if result.verdict == "ok" else [])
    title = f"{model.name} melt-quench, replica {replica}: {result.verdict}"
    plots.thermo_plot(result.thermo, outputs["figure"], title)
    verdict = pd.DataFrame(
        [
            {
                "model": model.name,
                "replica": replica,
                "n_atoms": len(atoms),
                "verdict": result.verdict,
                "reason": result.reason,
                "failed_at_ps": result.failed_at_ps,
                "simulated_ps": float(result.thermo["time_ps"].iloc[-1])
                if len(result.thermo)
                else 0.0,
                "final_frames": len(final),
                "wall_s": seconds,
            }
        ]
    )
    write_text(outputs["verdict"], verdict.to_csv(sep="\t", index=False))
    log.info(
        "%s replica %d: %s %s (%.1f s)", model.name, replica, result.verdict, result.reason, seconds
    )
    return result.verdict
