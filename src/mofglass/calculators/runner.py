"""Reference levels that are ASE calculators: labels and Bussi MD, in the level's Python.

This file runs with the Python of a calculator level (``.venvs/sevenn`` for SevenNet,
``.venvs/chgnet`` for CHGNet, mofglass's own for an importable user calculator). It
imports nothing from mofglass: mofglass (:mod:`mofglass.calculators`) calls it as a
subprocess with JSON arguments and reads back extended-XYZ files.

    python runner.py label ARGS.json   # energy, forces, stress of frames, one file each
    python runner.py md    ARGS.json   # NVT (Bussi/CSVR) MD chunks, restartable

Units: eV, Å, fs, K (ASE's). Every file is written to a temporary name and renamed,
so a killed run leaves finished files whole and nothing else.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import sys
import time
from importlib import metadata
from pathlib import Path

import ase.io
import numpy as np
from ase import units
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.singlepoint import SinglePointCalculator


def _threads(n: int) -> None:
    os.environ["OMP_NUM_THREADS"] = str(n)
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:
        pass


def make_calculator(spec: dict):
    """The ASE calculator of a level: ``module:Class(**kwargs)``, plus DFT-D3 from the
    ``dftd3`` package (simple-dftd3) when ``dispersion`` is given, plus a repaired
    level's pair term (``pairterm.py`` beside this file) when ``repair`` is given."""
    module, _, name = spec["class"].partition(":")
    parts = [getattr(importlib.import_module(module), name)(**spec.get("kwargs", {}))]
    if spec.get("dispersion"):
        from dftd3.ase import DFTD3

        parts.append(DFTD3(**spec["dispersion"]))
    if spec.get("repair"):
        sys.path.insert(0, str(Path(__file__).parent))
        from pairterm import PairTerm

        parts.append(PairTerm(spec["repair"]))
    if len(parts) == 1:
        return parts[0]
    from ase.calculators.mixing import SumCalculator

    return SumCalculator(parts)


class EveryStep(Calculator):
    """Asks the wrapped calculator for energy, forces and stress together at every
    call, so an MD step that records its stress costs one evaluation, not two (ASE's
    SumCalculator computes only the properties asked for)."""

    implemented_properties = ["energy", "forces", "stress"]

    def __init__(self, inner, properties):
        super().__init__()
        self.inner = inner
        self.wanted = list(properties)

    def calculate(self, atoms=None, properties=None, system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.inner.calculate(self.atoms, self.wanted, system_changes)
        self.results = {k: self.inner.results[k] for k in self.wanted}


def _versions(spec: dict) -> dict:
    out = {}
    for package in spec.get("packages", []) + ["ase", "torch", "dftd3"]:
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return out


def _write(path: Path, frames) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    ase.io.write(tmp, frames, format="extxyz")
    os.replace(tmp, path)


def _results(atoms, calc, stress: bool) -> dict:
    properties = ["energy", "forces"] + (["stress"] if stress else [])
    calc.calculate(atoms, properties, all_changes)
    out = {"energy": float(calc.results["energy"]), "forces": np.array(calc.results["forces"])}
    if stress:
        out["stress"] = np.array(calc.results["stress"]).reshape(-1)[:6]
    return out


def _progress(done: float, total: float, last: list[float], every_s: float = 2.0) -> None:
    """Tell mofglass how far this run is (a MOFGLASS_PROGRESS line on stderr, read by
    mofglass.calculators.run), at most every ``every_s`` seconds and at the end."""
    now = time.perf_counter()
    if done >= total or now - last[0] >= every_s:
        last[0] = now
        done_total = json.dumps({"done": done, "total": total})
        print(f"MOFGLASS_PROGRESS {done_total}", file=sys.stderr, flush=True)


def label(args: dict) -> dict:
    """One outcome file per frame: the frame with energy, forces (and stress). An
    exception of the calculator propagates (the job fails, a rerun retries); a
    non-finite result is written as it is, for the quality gate to judge."""
    _threads(args["threads"])
    calc = make_calculator(args["level"])
    frames = ase.io.read(args["frames"], index=":")
    seconds, last = [], [-math.inf]
    for k, (atoms, out) in enumerate(zip(frames, args["outcomes"], strict=True)):
        start = time.perf_counter()
        results = _results(atoms, calc, args["stress"])
        seconds.append(time.perf_counter() - start)
        atoms.calc = SinglePointCalculator(atoms, **results)
        atoms.info["label_seconds"] = round(seconds[-1], 4)
        _write(Path(out), [atoms])
        _progress(k + 1, len(frames), last)
    return {"frames": len(frames), "seconds": seconds, "versions": _versions(args["level"])}


def _temperature(atoms) -> float:
    ndof = 3 * len(atoms) - 3
    return 2.0 * atoms.get_kinetic_energy() / (ndof * units.kB)


def md(args: dict) -> dict:
    """NVT MD with ASE's Bussi (CSVR) thermostat in chunks.

    ``chunks``: [{dir, first, nsteps}] to run, in order; the first starts from
    ``start`` (a state file of the chunk before, or null: the structure with
    Maxwell-Boltzmann velocities from ``seed``). Each chunk writes ``state.json``
    (positions, momenta, thermostat energy and random-number state after its last
    step) and then ``frames.extxyz`` (every ``print_every`` steps, its first step only
    for the run's first chunk), so a rerun restarts exactly from the last state.
    """
    from ase.md.bussi import Bussi
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary

    _threads(args["threads"])
    calc = make_calculator(args["level"])
    atoms = ase.io.read(args["structure"])
    masses = atoms.get_masses()
    for i, symbol in enumerate(atoms.get_chemical_symbols()):
        masses[i] = args["masses"].get(symbol, masses[i])
    atoms.set_masses(masses)
    rng = np.random.default_rng([args["seed"], 1])
    transferred = 0.0
    if args["start"] is None:
        MaxwellBoltzmannDistribution(
            atoms, temperature_K=args["temperature_K"], rng=np.random.default_rng([args["seed"], 0])
        )
        Stationary(atoms)
    else:
        state = json.loads(Path(args["start"]).read_text())
        atoms.positions = np.array(state["positions"])
        atoms.set_momenta(np.array(state["momenta"]))
        rng.bit_generator.state = state["rng"]
        transferred = state["transferred_energy_eV"]
    every = args["print_every"]
    stress = args["stress"]
    atoms.calc = EveryStep(calc, ["energy", "forces"] + (["stress"] if stress else []))
    dyn = Bussi(
        atoms,
        timestep=args["timestep_fs"] * units.fs,
        temperature_K=args["temperature_K"],
        taut=args["thermostat_timecon_fs"] * units.fs,
        rng=rng,
    )
    dyn.transferred_energy = transferred
    done, last = [], [-math.inf]
    fs_per_step = args["timestep_fs"]
    end = args["chunks"][-1]["first"] + args["chunks"][-1]["nsteps"] if args["chunks"] else 0
    for chunk in args["chunks"]:
        chunkdir = Path(chunk["dir"])
        chunkdir.mkdir(parents=True, exist_ok=True)
        first, nsteps = chunk["first"], chunk["nsteps"]
        frames = []

        def record(step: int, frames: list = frames) -> None:
            # the step's own evaluation, cached by the calculator: no second call
            results = {"energy": atoms.get_potential_energy(), "forces": atoms.get_forces()}
            if stress:
                results["stress"] = atoms.get_stress()
            frame = atoms.copy()
            frame.calc = SinglePointCalculator(frame, **results)
            epot, ekin = results["energy"], atoms.get_kinetic_energy()
            frame.info.update(
                step=step,
                time_fs=round(step * args["timestep_fs"], 6),
                temperature_inst_K=_temperature(atoms),
                conserved_eV=epot + ekin - dyn.transferred_energy,
            )
            frames.append(frame)

        start = time.perf_counter()
        if first == 0:
            record(0)
        for k in range(1, nsteps + 1):
            dyn.run(1)
            if k % every == 0:
                record(first + k)
            _progress((first + k) * fs_per_step / 1000, end * fs_per_step / 1000, last)
            if not math.isfinite(atoms.get_potential_energy()):
                break  # mofglass reports the non-finite frame as an exploded run
        state = {
            "positions": atoms.positions.tolist(),
            "momenta": atoms.get_momenta().tolist(),
            "rng": rng.bit_generator.state,
            "transferred_energy_eV": dyn.transferred_energy,
            "seconds": time.perf_counter() - start,
        }
        tmp = chunkdir / ".state.json.tmp"
        tmp.write_text(json.dumps(state))
        os.replace(tmp, chunkdir / "state.json")
        _write(chunkdir / "frames.extxyz", frames)
        done.append(str(chunkdir))
        hottest = max(f.info["temperature_inst_K"] for f in frames) if frames else 0.0
        if hottest > args.get("max_temperature_K", math.inf):
            break  # a runaway: mofglass cuts the run at its first hot frame
    return {"chunks": done, "versions": _versions(args["level"])}


def main() -> None:
    command, path = sys.argv[1], sys.argv[2]
    args = json.loads(Path(path).read_text())
    answer = {"label": label, "md": md}[command](args)
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
