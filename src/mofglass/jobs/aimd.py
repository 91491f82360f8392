"""Stage 3, reference MD: one run of a structure at a temperature and volume, with CP2K
or an ASE calculator, in restartable chunks.

Jobs read files, call science, write files; they never import each other.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from ase import Atoms

from ..aimd import RunawayWatch, run_at_level, thermo_table
from ..atomicio import read_frames, write_frames, write_text
from ..chemistry import inherit_types
from ..cp2k.inputs import MDSettings
from ..plan import AIMDRun

log = logging.getLogger(__name__)


def aimd_job(
    structure_file: str,
    run: AIMDRun,
    aimd: Mapping,
    level_name: str,
    level: Mapping,
    cp2k: Mapping,
    workdir: str,
    outputs: Mapping[str, str],
    threads: int | None = None,
) -> list[Atoms]:
    """One AIMD run (structure, temperature and volume scale of ``run``) at a level of
    theory: chunked MD in ``workdir``, then the ``trajectory`` (extxyz) and ``thermo``
    table (TSV)."""
    (atoms,) = read_frames(structure_file)
    structure, temperature_K, volume_scale = run.structure, run.temperature_K, run.volume_scale
    md = MDSettings.from_config(aimd, temperature_K, run.seed(aimd["seed"]))
    watch = RunawayWatch.from_config(temperature_K, aimd["watch"])
    provenance = {
        "source": "aimd",
        "structure": structure,
        "run": run.name,
        "temperature_K": temperature_K,
        "volume_scale": volume_scale,
    }
    start = time.perf_counter()
    chunks = (aimd["steps"], aimd["chunk_steps"])
    frames = run_at_level(
        atoms, level_name, level, md, chunks, workdir, provenance, cp2k, threads, watch
    )
    inherit_types(frames, atoms)  # a model typed by atom type runs with the start's types
    write_text(outputs["thermo"], thermo_table(frames))
    write_frames(outputs["trajectory"], frames)
    n_bad = sum(not f.info["scf_converged"] for f in frames)
    log.info(
        "%s (seed %d): %d frames (steps 0-%d) in %.1f s; %d with unconverged SCF",
        run.name,
        md.seed,
        len(frames),
        frames[-1].info["step"] if frames else 0,
        time.perf_counter() - start,
        n_bad,
    )
    if frames and frames[-1].info.get("runaway"):
        log.warning("%s stopped: %s", run.name, frames[-1].info["runaway"])
    return frames
