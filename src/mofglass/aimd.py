"""Ab initio MD with CP2K in restartable chunks.

A run of ``steps`` MD steps is split into chunks of ``chunk_steps``. Each chunk is
one CP2K invocation in ``<workdir>/chunkNNNN``; chunk k > 0 continues from chunk k-1's
restart file (positions, velocities, thermostat state including its random-number
generator, step counter) and wavefunction. A chunk is finished when its
``frames.extxyz`` exists (written atomically, last). A killed run therefore loses at
most the chunk in progress: rerunning skips the finished chunks, discards the partial
one and continues from the last restart file, with a continuous step count.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.units import fs

from . import calculators, levels
from .atomicio import read_frames, write_frames
from .chunks import (
    AIMDError,
    RunawayWatch,
    check_continuity,
    chunk_plan,
    cut_at_runaway,
    expected_steps,
)
from .cp2k.inputs import MDSettings, md_input, render
from .cp2k.levels import LevelOfTheory
from .cp2k.outputs import (
    AU_VELOCITY_TO_A_PER_FS,
    HARTREE_PER_BOHR,
    CP2KOutputError,
    force_evaluations,
    read_ener,
    read_md_stress,
    read_xyz_frames,
    static_stress,
)
from .cp2k.run import Launcher, finished, run_cp2k
from .frames import attach_results, frame_problem
from .progress import Progress

log = logging.getLogger(__name__)

PROJECT = "md"
DONE = "frames.extxyz"


def _masses(atoms: Atoms, overrides: Mapping[str, float]) -> np.ndarray:
    masses = atoms.get_masses()
    for i, symbol in enumerate(atoms.get_chemical_symbols()):
        if symbol in overrides:
            masses[i] = overrides[symbol]
    return masses


def collect_chunk(
    chunkdir: Path, atoms: Atoms, md: MDSettings, first: int, nsteps: int, provenance: Mapping
) -> list[Atoms]:
    """Frames of a finished chunk of ``nsteps`` steps from step ``first``, in ASE units.

    CP2K evaluates forces once per step plus once at the chunk's starting point, so
    force evaluation ``k`` of the chunk's output (and its SCF status) is step
    ``first + k``.
    """
    steps = expected_steps(first, nsteps, md.print_every)
    pos = {f.step: f for f in read_xyz_frames(chunkdir / f"{PROJECT}-pos-1.xyz")}
    frc = {f.step: f for f in read_xyz_frames(chunkdir / f"{PROJECT}-frc-1.xyz", HARTREE_PER_BOHR)}
    vel = {
        f.step: f
        for f in read_xyz_frames(chunkdir / f"{PROJECT}-vel-1.xyz", AU_VELOCITY_TO_A_PER_FS)
    }
    ener = {int(row[0]): row for row in read_ener(chunkdir / f"{PROJECT}-1.ener")}
    stress = read_md_stress(chunkdir / f"{PROJECT}-1.stress") if md.stress else {}
    evaluations = force_evaluations((chunkdir / "cp2k.out").read_text(errors="replace"))
    if len(evaluations) != nsteps + 1:
        raise CP2KOutputError(
            f"{chunkdir}: {len(evaluations)} force evaluations for {nsteps} steps (expected "
            f"{nsteps + 1})"
        )
    for name, table in (("positions", pos), ("forces", frc), ("velocities", vel), ("ener", ener)):
        missing = sorted(set(steps) - set(table))
        if missing:
            raise CP2KOutputError(f"{chunkdir}: {name} missing for steps {missing}")
    if md.stress and sorted(set(steps) - set(stress)):
        raise CP2KOutputError(f"{chunkdir}: stress missing for steps {set(steps) - set(stress)}")
    masses = _masses(atoms, md.masses)
    symbols = atoms.get_chemical_symbols()
    frames = []
    for step in steps:
        if pos[step].symbols != symbols:
            raise CP2KOutputError(f"{chunkdir}: step {step}: atoms differ from the structure")
        frame = Atoms(symbols, positions=pos[step].values, cell=atoms.cell, pbc=True)
        frame.set_masses(masses)
        frame.set_velocities(vel[step].values / fs)  # Å/fs -> ASE units
        sigma = None
        if md.stress:
            sigma = static_stress(stress[step], masses, vel[step].values, atoms.get_volume())
        attach_results(frame, pos[step].energy, frc[step].values, sigma)
        frame.info.update(provenance)
        frame.info.update(
            step=step,
            time_fs=round(float(pos[step].time_fs), 6),
            temperature_inst_K=float(ener[step][3]),
            conserved_eV=float(ener[step][5]),
            scf_converged=evaluations[step - first][1],
        )
        for key in ("energy", "forces"):
            if not np.all(np.isfinite(frame.calc.results[key])):
                raise AIMDError(f"{chunkdir}: non-finite {key} at step {step}: the run exploded")
        frames.append(frame)
    return frames


def _chunk_input(atoms: Atoms, level: LevelOfTheory, md: MDSettings, k: int, nsteps: int) -> str:
    """The CP2K input of chunk ``k``: from the structure (k = 0), else from the restart
    and wavefunction files of chunk k - 1."""
    restart = wfn = None
    if k > 0:
        previous = Path("..") / f"chunk{k - 1:04d}"
        restart = str(previous / f"{PROJECT}-1.restart")
        wfn = str(previous / f"{PROJECT}-RESTART.wfn")
    return render(md_input(atoms, level, md, nsteps, PROJECT, restart_file=restart, wfn_file=wfn))


def run_aimd(
    atoms: Atoms,
    level: LevelOfTheory,
    md: MDSettings,
    steps: int,
    chunk_steps: int,
    launcher: Launcher,
    workdir: str | Path,
    provenance: Mapping | None = None,
    watch: RunawayWatch | None = None,
) -> list[Atoms]:
    """Run (or resume) NVT AIMD of ``atoms``; return every printed frame in step order.

    After every chunk the frames are checked against ``watch``: past a limit the run
    stops, and the frames from the first bad one on carry ``info['runaway']``.
    """
    if chunk_steps % md.print_every:
        raise ValueError("chunk_steps must be a multiple of print_every")
    workdir = Path(workdir)
    provenance = {"level_of_theory": level.name, **(provenance or {})}
    frames: list[Atoms] = []
    plan = chunk_plan(steps, chunk_steps)
    recomputed = False
    pace = None  # progress in simulated ps, from the first chunk that runs
    for k, (first, nsteps) in enumerate(plan):
        chunkdir = workdir / f"chunk{k:04d}"
        text = _chunk_input(atoms, level, md, k, nsteps)
        if not recomputed and finished(chunkdir, DONE, text):
            log.info(
                "chunk %d/%d (steps %d-%d) already done", k + 1, len(plan), first, first + nsteps
            )
            frames.extend(read_frames(chunkdir / DONE))
            if cut_at_runaway(frames, watch):
                return frames
            continue
        if chunkdir.exists():
            log.warning(
                "chunk %d: discarding the partial output of an interrupted run, or output "
                "made with other settings",
                k,
            )
            shutil.rmtree(chunkdir)
        recomputed = True  # every later chunk continues from this one: redo them too
        log.info("chunk %d/%d: steps %d-%d", k + 1, len(plan), first, first + nsteps)
        fs = md.timestep_fs / 1000
        what = f"aimd {provenance.get('run', workdir.name)}"
        pace = pace or Progress(
            what, steps * fs, "ps", log, done=first * fs, rate_unit="steps/s", rate_per_unit=1 / fs
        )
        run_cp2k(text, chunkdir, launcher)
        pace.update((first + nsteps) * fs)
        chunk_frames = collect_chunk(chunkdir, atoms, md, first, nsteps, provenance)
        write_frames(chunkdir / DONE, chunk_frames)
        frames.extend(chunk_frames)
        if cut_at_runaway(frames, watch):
            return frames  # the run stops here, with its reason
    check_continuity(frames, steps, md.print_every)
    return frames


def thermo_table(frames: list[Atoms]) -> str:
    """Tab-separated per-frame thermodynamics, units in the header.

    ``frame`` is the frame's position in the trajectory file and ``problem`` says why
    a frame must not be used as data (empty when it can): the selection stage reads
    this table instead of the trajectory.
    """
    lines = [
        "frame\tstep\ttime_fs\ttemperature_K\tn_atoms\tpotential_energy_eV\tconserved_eV"
        "\tscf_converged\tproblem"
    ]
    for index, f in enumerate(frames):
        lines.append(
            f"{index}\t{f.info['step']}\t{f.info['time_fs']:.3f}\t"
            f"{f.info['temperature_inst_K']:.2f}\t{len(f)}\t{f.get_potential_energy():.6f}\t"
            f"{f.info['conserved_eV']:.6f}\t{int(f.info['scf_converged'])}\t"
            f"{frame_problem(f) or ''}"
        )
    return "\n".join(lines) + "\n"


def run_at_level(
    atoms: Atoms,
    level_name: str,
    level: Mapping,
    md: MDSettings,
    chunks: tuple[int, int],
    workdir: str | Path,
    provenance: Mapping,
    cp2k: Mapping,
    threads: int | None,
    watch: RunawayWatch | None,
) -> list[Atoms]:
    """Reference MD at a config's level of theory: CP2K (:func:`run_aimd`), or a
    calculator level's own MD (:func:`mofglass.calculators.run_md`), both in restartable
    chunks; ``chunks``: the run's steps and steps per chunk."""
    steps, chunk_steps = chunks
    if levels.is_calculator(level):
        return calculators.run_md(
            atoms,
            levels.build(level_name, level),
            md,
            steps=steps,
            chunk_steps=chunk_steps,
            workdir=workdir,
            provenance=provenance,
            threads=threads or 1,
            watch=watch,
        )
    return run_aimd(
        atoms,
        levels.build(level_name, level),
        md,
        steps=steps,
        chunk_steps=chunk_steps,
        launcher=Launcher.from_config(cp2k, threads),
        workdir=workdir,
        provenance=provenance,
        watch=watch,
    )
