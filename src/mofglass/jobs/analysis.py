"""Stage 9, analysis: the structure of every crystal, AIMD run, glass and structure set.

Jobs read files, call science, write files; they never import each other.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import ase.io
import pandas as pd

from .. import analysis, plots
from ..atomicio import read_frames, write_table, write_text

log = logging.getLogger(__name__)


def analysis_job(
    files: Sequence[str],
    name: str,
    settings: Mapping,
    outdir: str,
    temperature_K: float,
    temperature_from: str,
    independent: bool = False,
    last_frames: int | None = None,
    reference_file: str | None = None,
) -> pd.DataFrame:
    """Structural analysis of structures or trajectory frames: tables (CSV) and figures.

    ``reference_file``: the structure the frames started from (a glass's crystal),
    whose density judges theirs.

    The PMFs are taken at ``temperature_K`` (K), the frames' own temperature;
    ``temperature_from`` says where it comes from (shown in the figure).

    ``last_frames`` keeps the last frames of each file (a trajectory's equilibrated
    end); ``independent`` says the frames are separate samples (replicas, a set of
    structures) rather than one trajectory.
    """
    frames = []
    for path in files:
        read = read_frames(path) if str(path).endswith(".extxyz") else ase.io.read(path, ":")
        if not read:
            log.warning("%s: nothing to analyse in %s (a failed run)", name, path)
        frames.extend(read[-last_frames:] if last_frames else read)
    out = Path(outdir)
    if not frames:
        log.warning("%s: no frames at all; the tables are empty", name)
        for table in ("rdf", "pmf", "angles", "summary"):
            write_text(out / f"{table}.csv", "")
        for figure in ("rdf.png", "angles.png"):
            plots.empty_figure(out / figure, f"{name}: no frames (every run failed)")
        return pd.DataFrame()
    start = time.perf_counter()
    reference = None
    if reference_file:
        reference = analysis.density(read_frames(reference_file)[0])
    result = analysis.analyse(
        frames, dict(settings), temperature_K, independent, reference_density=reference
    )
    for table in ("rdf", "pmf", "angles", "summary"):
        write_table(out / f"{table}.csv", result[table])
    plots.rdf_plot(
        result["rdf"],
        result["pmf"],
        out / "rdf.png",
        f"{name} ({len(frames)} frames); PMF at {temperature_K:g} K ({temperature_from})",
    )
    plots.angle_plot(result["angles"], out / "angles.png", f"{name} ({len(frames)} frames)")
    log.info(
        "%s: %d frames analysed in %.1f s\n%s",
        name,
        len(frames),
        time.perf_counter() - start,
        result["summary"].to_string(index=False),
    )
    return result["summary"]
