"""Levels of theory that are ASE calculators: universal potentials, or any ASE calculator.

A level of theory either names a CP2K method (:mod:`mofglass.cp2k.levels`) or an ASE
calculator::

    levels_of_theory:
      sevennet:
        calculator: sevennet-0          # shipped: sevennet-0, chgnet; or module:Class
        kwargs: {}                      # passed to the class (e.g. a weights file path)
        dispersion: {method: PBE, damping: d3zero}   # DFT-D3 (simple-dftd3), optional

It goes through the same stages as a CP2K level: reference MD (ASE's Bussi/CSVR
thermostat, in restartable chunks, :func:`run_md`) and batched labels behind the
quality gate (:func:`mofglass.labels.label_batch_ase`). The calculator runs in its
own Python (:mod:`runner`, a subprocess): the shipped universal potentials pin other
torch/e3nn versions than mofglass and each other. The interpreter of a level (its
``env``'s) is found and called as :mod:`mofglass.foreign` finds and calls every other
environment's.

A level whose Python or package is missing is refused before any job
(:func:`missing`), with the command that installs it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ase import Atoms

from .. import foreign
from ..atomicio import read_frames, write_frames, write_text
from ..chunks import AIMDError, check_continuity, chunk_plan, cut_at_runaway, expected_steps
from ..progress import Progress
from .pairterm import read_term

log = logging.getLogger(__name__)

RUNNER = Path(__file__).with_name("runner.py")


@dataclass(frozen=True)
class Shipped:
    """A universal potential whose weights ship inside its PyPI wheel."""

    cls: str  # module:Class of its ASE calculator
    kwargs: dict
    env: str  # environment (install.sh --models <env>)
    packages: tuple[str, ...]  # distributions whose versions go into the provenance
    licence: str


#: Measured on the 272-atom ZIF-4 cell, one thread, one energy + forces + stress call:
#: SevenNet-0 1.5 s, CHGNet 0.8 s (bench/README.md). SevenNet-0 keeps ZIF-4's linkers
#: and a 3.5-3.8-coordinated Zn at 1500 K; CHGNet's Zn-N network falls apart there.
SHIPPED = {
    "sevennet-0": Shipped(
        "sevenn.calculator:SevenNetCalculator",
        {"model": "7net-0", "device": "cpu"},
        "sevenn",
        ("sevenn", "e3nn"),
        "GPL-3.0 (code), weights with the package",
    ),
    "chgnet": Shipped(
        "chgnet.model.dynamics:CHGNetCalculator",
        {"use_device": "cpu"},
        "chgnet",
        ("chgnet", "pymatgen"),
        "BSD-3-Clause",
    ),
}


class CalculatorError(RuntimeError):
    """A calculator level that is not installed, or whose calculator failed."""


@dataclass(frozen=True)
class CalculatorLevel:
    """A level of theory computed by an ASE calculator (see the module docstring)."""

    name: str
    calculator: str
    kwargs: dict = field(default_factory=dict)
    dispersion: dict | None = None
    env: str | None = None
    repair: dict | None = None  # a repaired level's pair term (mofglass.repair), with coefficients

    @classmethod
    def from_config(cls, name: str, block: Mapping) -> CalculatorLevel:
        calculator = block["calculator"]
        if calculator not in SHIPPED and ":" not in calculator:
            raise CalculatorError(
                f"level {name!r}: calculator {calculator!r} is neither a shipped universal "
                f"potential ({', '.join(SHIPPED)}) nor module:Class"
            )
        env = block.get("env")
        if env is None and calculator in SHIPPED:
            env = SHIPPED[calculator].env
        repair = None
        if block.get("repair_file"):  # a repaired level (mofglass.levels.resolve)
            repair = read_term(block["repair_file"])
        return cls(
            name=name,
            calculator=calculator,
            kwargs=dict(block.get("kwargs") or {}),
            dispersion=dict(block["dispersion"]) if block.get("dispersion") else None,
            env=env,
            repair=repair,
        )

    @property
    def module(self) -> str:
        """The module that must import in the level's Python."""
        return self.spec()["class"].partition(":")[0].split(".")[0]

    def spec(self) -> dict:
        """What the runner builds: class, keyword arguments, dispersion, packages."""
        if self.calculator in SHIPPED:
            shipped = SHIPPED[self.calculator]
            cls, kwargs, packages = shipped.cls, {**shipped.kwargs}, list(shipped.packages)
        else:
            cls, kwargs, packages = self.calculator, {}, [self.calculator.split(".")[0]]
        kwargs.update(self.kwargs)
        spec = {"class": cls, "kwargs": kwargs, "dispersion": self.dispersion, "packages": packages}
        if self.repair:
            spec["repair"] = self.repair
        return spec

    def fingerprint(self) -> str:
        """Text that changes when anything that changes the results changes."""
        return json.dumps({"level": self.name, **self.spec()}, sort_keys=True)


def python_for(level: CalculatorLevel) -> str | None:
    """The interpreter that runs ``level``'s calculator, or None."""
    return foreign.interpreter(level.env, level.module)


def install_hint(level: CalculatorLevel) -> str:
    what = f"level {level.name!r}: calculator {level.calculator!r}"
    return foreign.install_hint(what, level.env, level.module)


def problems(level: CalculatorLevel) -> list[str]:
    """Why ``level`` cannot run here (empty if it can): Python, module, dispersion."""
    python = python_for(level)
    if python is None or not foreign.importable(python, level.module):
        return [install_hint(level)]
    if level.dispersion and not foreign.importable(python, "dftd3"):
        return [
            f"level {level.name!r}: dispersion needs the dftd3 package (simple-dftd3) in "
            f"{python}: pip install dftd3"
        ]
    return []


def run(
    level: CalculatorLevel,
    command: str,
    args: Mapping,
    threads: int = 1,
    progress: Progress | None = None,
) -> dict:
    """Run ``runner.py command`` in the level's Python; its JSON answer. The runner's
    progress lines go to ``progress`` as they come (:mod:`mofglass.progress`)."""
    python = python_for(level)
    if python is None:
        raise CalculatorError(install_hint(level))
    args = {**args, "level": level.spec(), "threads": threads}
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    try:
        answer, _, stderr = foreign.call(python, RUNNER, command, args, "calculator", progress, env)
    except foreign.ForeignError as failed:
        raise CalculatorError(f"level {level.name!r}: {failed}") from None
    for line in stderr.splitlines()[-20:]:
        log.debug("%s: %s", level.name, line)
    return answer


def frame_fingerprint(level: CalculatorLevel, atoms: Atoms, stress: bool) -> str:
    """The 'input' of a label: level, what is asked, and the frame's atoms and cell."""
    digest = hashlib.sha256()
    digest.update(atoms.numbers.tobytes())
    digest.update(atoms.positions.round(8).tobytes())
    digest.update(atoms.cell.array.round(8).tobytes())
    return json.dumps({"calculator": level.fingerprint(), "stress": stress}) + digest.hexdigest()


def compute_labels(
    level: CalculatorLevel,
    frames: Sequence[Atoms],
    framedirs: Sequence[Path],
    stress: bool,
    threads: int = 1,
) -> list[Atoms]:
    """Raw outcomes (results attached, before the gate) of ``frames``, one directory
    each. A directory holding the outcome of the identical input is reused; the rest
    are computed in one call of the level's Python, each written as it finishes."""
    outcome, inp = "outcome.extxyz", "input.txt"
    todo = []
    for atoms, framedir in zip(frames, framedirs, strict=True):
        text = frame_fingerprint(level, atoms, stress)
        if (framedir / outcome).exists() and (framedir / inp).exists():
            if (framedir / inp).read_text() == text:
                continue
        framedir.mkdir(parents=True, exist_ok=True)
        (framedir / outcome).unlink(missing_ok=True)
        write_text(framedir / inp, text)
        todo.append((atoms, framedir))
    if todo:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "frames.extxyz")
            write_frames(path, [a for a, _ in todo])
            args = {
                "frames": str(path),
                "outcomes": [str(d / outcome) for _, d in todo],
                "stress": stress,
            }
            progress = Progress(f"labels {level.name}", len(todo), "frames", log)
            answer = run(level, "label", args, threads, progress)
        log.info(
            "%s: %d labels in %.1f s (%.2f s each)",
            level.name,
            len(todo),
            sum(answer["seconds"]),
            sum(answer["seconds"]) / len(todo),
        )
    out = []
    for atoms, framedir in zip(frames, framedirs, strict=True):
        (raw,) = read_frames(framedir / outcome)
        raw.info = dict(atoms.info)
        # an ASE calculator has no SCF: its result is as converged as it will be
        raw.info["scf_converged"] = True
        out.append(raw)
    return out


def run_md(
    atoms: Atoms,
    level: CalculatorLevel,
    md,
    steps: int,
    chunk_steps: int,
    workdir: str | Path,
    provenance: Mapping | None = None,
    threads: int = 1,
    watch=None,
) -> list[Atoms]:
    """Run (or resume) NVT MD of ``atoms`` with the level's calculator and ASE's Bussi
    (CSVR) thermostat; every printed frame in step order, as :func:`mofglass.aimd.run_aimd`.
    ``watch`` (a :class:`mofglass.chunks.RunawayWatch`): the runner stops after a chunk
    whose temperature passed its limit, and frames from the first bad one on carry
    ``info['runaway']``.

    ``md`` is a :class:`mofglass.cp2k.inputs.MDSettings`. Chunk k lives in
    ``<workdir>/chunkNNNN``; it is finished when its ``frames.extxyz`` exists and its
    ``input.json`` matches this run's settings. A rerun skips finished chunks and
    continues from the last one's saved state (positions, momenta, thermostat energy
    and random-number state), so a kill loses at most the chunk in progress.
    """
    if chunk_steps % md.print_every:
        raise ValueError("chunk_steps must be a multiple of print_every")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    structure = workdir / "start.extxyz"
    write_frames(structure, [atoms])
    settings = {
        "temperature_K": md.temperature_K,
        "timestep_fs": md.timestep_fs,
        "thermostat_timecon_fs": md.thermostat_timecon_fs,
        "print_every": md.print_every,
        "stress": md.stress,
        "seed": md.seed,
        "masses": dict(md.masses),
    }
    plan = chunk_plan(steps, chunk_steps)
    start, todo = _chunks_to_run(level, atoms, md, settings, plan, workdir)
    if todo:
        log.info("%s: MD chunks %s", level.name, [Path(c["dir"]).name for c in todo])
        args = {**settings, "structure": str(structure), "start": start, "chunks": todo}
        if watch is not None:
            args["max_temperature_K"] = watch.max_temperature_factor * watch.temperature_K
        fs = md.timestep_fs
        total_ps = (todo[-1]["first"] + todo[-1]["nsteps"]) * fs / 1000
        progress = Progress(
            f"aimd {(provenance or {}).get('run', workdir.name)} ({level.name})",
            total_ps,
            "ps",
            log,
            done=todo[0]["first"] * fs / 1000,
            rate_unit="steps/s",
            rate_per_unit=1000 / fs,
        )
        run(level, "md", args, threads, progress)
    return _read_chunks(level, md, plan, workdir, provenance, watch, steps)


def _chunks_to_run(
    level: CalculatorLevel, atoms: Atoms, md, settings: Mapping, plan, workdir: Path
) -> tuple[str | None, list[dict]]:
    """The saved state the run goes on from (None: from the start) and the chunks still
    to run: a chunk is finished when its frames exist and its ``input.json`` is this
    run's; every chunk after the first unfinished one is run again."""
    start, todo, redo = None, [], False
    for k, (first, nsteps) in enumerate(plan):
        chunkdir = workdir / f"chunk{k:04d}"
        text = json.dumps(
            {
                "calculator": level.fingerprint(),
                **settings,
                "first": first,
                "nsteps": nsteps,
                "atoms": frame_fingerprint(level, atoms, md.stress),
            },
            sort_keys=True,
        )
        done = (chunkdir / "frames.extxyz").exists() and (chunkdir / "input.json").exists()
        if not redo and done and (chunkdir / "input.json").read_text() == text:
            start = str(chunkdir / "state.json")
            continue
        if chunkdir.exists():
            log.warning("chunk %d: discarding partial output, or output of other settings", k)
            for child in chunkdir.iterdir():
                child.unlink()
        redo = True  # every later chunk continues from this one
        chunkdir.mkdir(parents=True, exist_ok=True)
        write_text(chunkdir / "input.json", text)
        todo.append({"dir": str(chunkdir), "first": first, "nsteps": nsteps})
    return start, todo


def _read_chunks(
    level: CalculatorLevel, md, plan, workdir: Path, provenance, watch, steps: int
) -> list[Atoms]:
    """Every chunk's frames in step order, with provenance; cut at a runaway."""
    frames = []
    for k, (first, nsteps) in enumerate(plan):
        chunk = read_frames(workdir / f"chunk{k:04d}" / "frames.extxyz")
        want = expected_steps(first, nsteps, md.print_every)
        got = [int(f.info["step"]) for f in chunk]
        if got != want:
            raise AIMDError(
                f"{workdir}/chunk{k:04d}: steps {got}, expected {want}: the run exploded"
            )
        for frame in chunk:
            frame.info.update({"level_of_theory": level.name, **(provenance or {})})
            frame.info["scf_converged"] = True
            frame.info["temperature_inst_K"] = float(frame.info["temperature_inst_K"])
        frames.extend(chunk)
        if cut_at_runaway(frames, watch):
            return frames
    check_continuity(frames, steps, md.print_every)
    return frames
