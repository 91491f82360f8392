"""Reference levels that are ASE calculators: labels and Bussi MD, in the level's Python.

This file runs with the Python of a calculator level (``.venvs/sevenn`` for SevenNet,
``.venvs/chgnet`` for CHGNet, mofglass's own for an importable user calculator). It
imports nothing from mofglass: mofglass (:mod:`mofglass.calculators`) calls it as a
subprocess with JSON arguments and reads back extended-XYZ files.

    python runner.py label ARGS.json   # energy, forces, stress of frames, one file each
    python runner.py md    ARGS.json   # NVT (Bussi/CSVR) MD chunks, restartable

The MD loop is mofglass's ASE dynamics (``md/ase_dynamics.py``) and the progress line
its progress module's, both loaded by their paths (:func:`load`: they import only ASE,
numpy and the standard library). Units: eV, Å, fs, K (ASE's). Every file is written to
a temporary name and renamed, so a killed run leaves finished files whole and nothing
else.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import time
from importlib import metadata
from pathlib import Path

import ase.io
import numpy as np
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.singlepoint import SinglePointCalculator

#: mofglass's source folder (src/mofglass), beside this file's folder.
SOURCE = Path(__file__).resolve().parents[1]


def load(relative: str):
    """A module of mofglass's source that imports nothing of mofglass (only ASE, numpy
    and the standard library), loaded by its path: this Python has no mofglass."""
    name = "mofglass_" + relative.removesuffix(".py").replace("/", "_")
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SOURCE / relative)
        sys.modules[name] = importlib.util.module_from_spec(spec)  # as `import` does
        try:
            spec.loader.exec_module(sys.modules[name])
        except BaseException:
            del sys.modules[name]  # a module that failed to load is not kept
            raise
    return sys.modules[name]


dynamics = load("md/ase_dynamics.py")
progress = load("progress.py")


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
        parts.append(load("calculators/pairterm.py").PairTerm(spec["repair"]))
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


def _results(atoms, calc, stress: bool) -> dict:
    properties = ["energy", "forces"] + (["stress"] if stress else [])
    calc.calculate(atoms, properties, all_changes)
    out = {"energy": float(calc.results["energy"]), "forces": np.array(calc.results["forces"])}
    if stress:
        out["stress"] = np.array(calc.results["stress"]).reshape(-1)[:6]
    return out


def label(args: dict) -> dict:
    """One outcome file per frame: the frame with energy, forces (and stress). An
    exception of the calculator propagates (the job fails, a rerun retries); a
    non-finite result is written as it is, for the quality gate to judge."""
    _threads(args["threads"])
    calc = make_calculator(args["level"])
    frames = ase.io.read(args["frames"], index=":")
    seconds, report = [], progress.Marker()
    for k, (atoms, out) in enumerate(zip(frames, args["outcomes"], strict=True)):
        start = time.perf_counter()
        results = _results(atoms, calc, args["stress"])
        seconds.append(time.perf_counter() - start)
        atoms.calc = SinglePointCalculator(atoms, **results)
        atoms.info["label_seconds"] = round(seconds[-1], 4)
        dynamics.write_atomic(Path(out), [atoms])
        report(k + 1, len(frames))
    return {"frames": len(frames), "seconds": seconds, "versions": _versions(args["level"])}


def md(args: dict) -> dict:
    """NVT MD with ASE's Bussi (CSVR) thermostat in restartable chunks
    (:func:`ase_dynamics.bussi_chunks`, whose arguments ``args`` carries), with the
    level's calculator, ``threads`` and element ``masses`` (amu, e.g. heavier H)."""
    _threads(args["threads"])
    calc = make_calculator(args["level"])
    atoms = ase.io.read(args["structure"])
    masses = atoms.get_masses()
    for i, symbol in enumerate(atoms.get_chemical_symbols()):
        masses[i] = args["masses"].get(symbol, masses[i])
    atoms.set_masses(masses)
    atoms.calc = EveryStep(calc, ["energy", "forces"] + (["stress"] if args["stress"] else []))
    done = dynamics.bussi_chunks(atoms, args, progress.Marker())
    return {"chunks": done, "versions": _versions(args["level"])}


def main() -> None:
    command, path = sys.argv[1], sys.argv[2]
    args = json.loads(Path(path).read_text())
    answer = {"label": label, "md": md}[command](args)
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
