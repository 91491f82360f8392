"""The ASE engine: a protocol with ASE's dynamics and a model family's own calculator
(NequIP, Allegro, MACE, in the family's environment; :mod:`mofglass.families`), for
models LAMMPS cannot run here. The loop itself is :mod:`.ase_dynamics`, which the
family's runner script loads in that environment."""

from __future__ import annotations

import logging
from pathlib import Path

import ase.io
import ase.units
import pandas as pd
from ase import Atoms

from .. import families
from ..models import Model
from ..progress import Progress
from .protocol import Protocol
from .result import MDResult, Watch

log = logging.getLogger(__name__)


def _engine_args(model: Model, protocol: Protocol, structure: Path, workdir: Path) -> dict:
    """The protocol as the family runner's JSON arguments (steps, K, GPa, fs)."""
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
    return args


def run_ase(atoms: Atoms, model: Model, protocol: Protocol, workdir: Path, watch: Watch):
    """The protocol with ASE's dynamics and the model's own calculator (NequIP, Allegro,
    MACE; mofglass.families): Nose-Hoover chains with the protocol's damping and ramps,
    NVE, or a minimisation (ASE's FIRE at fixed cell). Same outputs and verdicts as the
    LAMMPS engine; the stability watch reads the frames after the run and cuts the
    result at the first problem. Not resumable."""
    structure = workdir / "structure.extxyz"
    ase.io.write(structure, atoms, format="extxyz")
    args = _engine_args(model, protocol, structure, workdir)
    level = model.info.get("level")  # a foundation model runs in its level's Python
    dynamic = [s for s in protocol.stages if s.ensemble != "minimize"]
    total_ps = sum(s.n_steps * s.timestep_fs for s in dynamic) / 1000
    fs = dynamic[0].timestep_fs
    pace = Progress(f"md {model.name} {workdir.name}", total_ps, "ps", log, rate_unit="steps/s",
                    rate_per_unit=1000 / fs)  # fmt: skip
    answer = families.run(model.type, "md", args, workdir / "engine.log", level, pace)
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
