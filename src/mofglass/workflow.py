"""Job-level entry points: what one Snakemake job does, from files and config blocks.

The scripts in ``workflow/scripts`` only unpack Snakemake's arguments and call these,
so every job can also be run and tested without Snakemake.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from ase import Atoms

from .aimd import run_aimd, thermo_table
from .atomicio import read_frames, write_frames, write_text
from .cp2k.inputs import MDSettings, check_overrides
from .cp2k.levels import LevelOfTheory
from .cp2k.run import Launcher
from .labelling import QualityGate, label_batch, summary_table
from .plan import AIMDRun
from .selection import batch
from .structures import load_structure, supercell

log = logging.getLogger(__name__)


def structure_job(
    output_file: str,
    name: str,
    block: Mapping,
    levels: Mapping[str, Mapping],
    data_dir: str | None,
) -> Atoms:
    """Build a structure and check that every level of theory in use can describe it.

    Loads the source, applies the supercell, checks each level's elements (basis sets,
    pseudopotentials, parameters) and its CP2K overrides, then writes the cell as used.
    """
    atoms = supercell(load_structure(block["source"]), block["supercell"])
    for level_name, level_block in levels.items():
        level = LevelOfTheory.from_config(level_name, level_block)
        level.check_elements(atoms.get_chemical_symbols(), data_dir)
        check_overrides(level)
    write_structure(output_file, atoms, name, block["source"])
    log.info(
        "%s: %s, %d atoms, cell %s Å",
        name,
        atoms.get_chemical_formula(),
        len(atoms),
        atoms.cell.cellpar().round(4).tolist(),
    )
    return atoms


def write_structure(path: str | Path, atoms: Atoms, name: str, source: str | None = None) -> None:
    """Write a structure (positions Å, cell Å) with its name and source in ``info``."""
    atoms = atoms.copy()
    atoms.info["structure"] = name
    if source is not None:
        atoms.info["structure_source"] = source
    write_frames(path, [atoms])


def aimd_job(
    structure_file: str,
    trajectory_file: str,
    thermo_file: str,
    workdir: str,
    structure: str,
    temperature_K: float,
    volume_scale: float,
    aimd: Mapping,
    level_name: str,
    level: Mapping,
    cp2k: Mapping,
    threads: int | None = None,
) -> list[Atoms]:
    """One AIMD run: chunked CP2K MD, then the trajectory (extxyz) and thermo table (TSV)."""
    (atoms,) = read_frames(structure_file)
    run = AIMDRun(structure, temperature_K, volume_scale)
    md = MDSettings(
        temperature_K=temperature_K,
        timestep_fs=aimd["timestep_fs"],
        thermostat_timecon_fs=aimd["thermostat_timecon_fs"],
        print_every=aimd["print_every"],
        stress=aimd["stress"],
        seed=aimd["seed"],
        masses=dict(aimd["masses"]),
    )
    provenance = {
        "source": "aimd",
        "structure": structure,
        "run": run.name,
        "temperature_K": temperature_K,
        "volume_scale": volume_scale,
    }
    start = time.perf_counter()
    frames = run_aimd(
        atoms,
        LevelOfTheory.from_config(level_name, level),
        md,
        steps=aimd["steps"],
        chunk_steps=aimd["chunk_steps"],
        launcher=Launcher.from_config(cp2k, threads),
        workdir=workdir,
        provenance=provenance,
    )
    write_text(thermo_file, thermo_table(frames))
    write_frames(trajectory_file, frames)
    n_bad = sum(not f.info["scf_converged"] for f in frames)
    log.info(
        "%s: %d frames (steps 0-%d) in %.1f s; %d with unconverged SCF",
        run.name,
        len(frames),
        aimd["steps"],
        time.perf_counter() - start,
        n_bad,
    )
    return frames


def label_batch_job(
    pool_file: str,
    labelled_file: str,
    quarantine_file: str,
    batch_index: int,
    workdir: str,
    labels: Mapping,
    level_name: str,
    level: Mapping,
    cp2k: Mapping,
    threads: int | None = None,
) -> tuple[list[Atoms], list[Atoms]]:
    """One labelling batch: single points of pool frames, split by the quality gate."""
    frames = batch(read_frames(pool_file), batch_index, labels["batch_size"])
    gate = QualityGate(**labels["quality_gate"])
    start = time.perf_counter()
    accepted, quarantined = label_batch(
        frames,
        LevelOfTheory.from_config(level_name, level),
        Launcher.from_config(cp2k, threads),
        workdir,
        gate,
        stress=labels["stress"],
    )
    write_frames(quarantine_file, quarantined)
    write_frames(labelled_file, accepted)
    log.info(
        "batch %d: %d frames, %d accepted, %d quarantined, %.1f s",
        batch_index,
        len(frames),
        len(accepted),
        len(quarantined),
        time.perf_counter() - start,
    )
    return accepted, quarantined


def merge_label_batches(
    batch_files: Sequence[str],
    quarantine_files: Sequence[str],
    labelled_file: str,
    quarantine_file: str,
    summary_file: str,
) -> None:
    """Concatenate batches in pool order; write the labelled set, quarantine and summary."""
    accepted = [a for path in batch_files for a in read_frames(path)]
    quarantined = [a for path in quarantine_files for a in read_frames(path)]
    accepted.sort(key=lambda a: a.info["pool_index"])
    quarantined.sort(key=lambda a: a.info["pool_index"])
    write_text(summary_file, summary_table(accepted, quarantined))
    write_frames(quarantine_file, quarantined)
    write_frames(labelled_file, accepted)
    log.info("%d frames labelled, %d quarantined", len(accepted), len(quarantined))
