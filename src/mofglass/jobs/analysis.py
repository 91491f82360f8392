"""Stage 10, analysis: the structure of every crystal, AIMD run, glass and structure set.

Jobs read files, call science, write files; they never import each other.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ase.io
import pandas as pd
from ase import Atoms

from .. import analysis, chemistry, plots
from ..atomicio import read_frames, write_table, write_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """What one analysis looks at (``analysis_sources`` in rules/inputs/analysis.smk):
    its ``files``; whether its frames are ``independent`` samples (replicas, a set of
    structures) or one trajectory; the ``last_frames`` of each file to keep (a trajectory's
    equilibrated end); the ``reference`` structure whose density judges theirs (a
    glass's crystal); the temperature (K) of its PMFs with where it comes from; and the
    ``chemistry`` file of its structure (none: read from the first frame)."""

    files: Sequence[str]
    independent: bool
    last_frames: int | None
    reference: str | None
    temperature_K: float
    temperature_from: str
    chemistry: str | None = None

    def frames(self, name: str) -> list[Atoms]:
        """The frames to analyse (a file with none is a failed run: logged)."""
        frames = []
        for path in self.files:
            ours = str(path).endswith((".extxyz", ".traj"))  # what the pipeline writes
            read = read_frames(path) if ours else ase.io.read(path, ":")
            if not read:
                log.warning("%s: nothing to analyse in %s (a failed run)", name, path)
            frames.extend(read[-self.last_frames :] if self.last_frames else read)
        return frames


def analysis_job(
    name: str, source: Source, settings: Mapping, outputs: Mapping[str, str]
) -> pd.DataFrame:
    """Structural analysis of a source's frames: the tables (CSV: ``rdf``, ``pmf``,
    ``angles``, ``summary``) and figures (``rdf_figure``, ``angle_figure``) of
    ``outputs``. The PMFs are taken at the source's temperature, named in the figure."""
    frames = source.frames(name)
    tables = ("rdf", "pmf", "angles", "summary")
    if not frames:
        log.warning("%s: no frames at all; the tables are empty", name)
        for table in tables:
            write_text(outputs[table], "")
        for figure in ("rdf_figure", "angle_figure"):
            plots.empty_figure(outputs[figure], f"{name}: no frames (every run failed)")
        return pd.DataFrame()
    start = time.perf_counter()
    reference = crystal = None
    if source.reference:
        crystal = read_frames(source.reference)[0]
        reference = analysis.density(crystal)
    temperature = source.temperature_K
    result = analysis.analyse(
        frames,
        dict(settings),
        temperature,
        source.independent,
        reference_density=reference,
        chemistry=chemistry.read(source.chemistry),
        crystal=crystal,
    )
    for table in tables:
        write_table(outputs[table], result[table])
    where = f"PMF at {temperature:g} K ({source.temperature_from})"
    title = f"{name} ({len(frames)} frames)"
    plots.rdf_plot(result["rdf"], result["pmf"], outputs["rdf_figure"], f"{title}; {where}")
    plots.angle_plot(result["angles"], outputs["angle_figure"], title)
    seconds = time.perf_counter() - start
    log.info("%s: %d frames analysed in %.1f s", name, len(frames), seconds)
    log.info("%s", result["summary"].to_string(index=False))
    return result["summary"]
