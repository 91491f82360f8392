"""The ASE MD of the two runner scripts at an earlier commit and now, byte for byte.

    .venv/bin/python bench/compare_runners.py COMMIT

Runs, with ASE's EMT on a rattled 32-atom copper cell (seconds), the reference levels'
Bussi chunks (``calculators/runner.py md``: two chunks, then the second again from the
first's state file; with stress, and with a runaway cut) and the model families' staged
protocol (``families/runner.py md`` of a foundation-model record: an NVT ramp, a
minimisation, MTK NPT, NVE and a runaway stage) from the source tree of ``COMMIT``
(``git archive``) and from the working tree, and prints whether every frame, state file
and thermo table is the same (the state's ``seconds`` left out). Exit status 1 if any
differs. Written for refactors of those scripts (issue 36), whose default run would
show a change only through the teacher's trajectories.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import ase.io
from ase.build import bulk

REPO = Path(__file__).resolve().parents[1]
LEVEL = {"class": "ase.calculators.emt:EMT"}


def _stage(name: str, ensemble: str, temperature_K: float, steps: int, **more) -> dict:
    stage = {"name": name, "ensemble": ensemble, "temperature_K": temperature_K}
    stage |= {"temperature_end_K": None, "pressure_GPa": None, "pressure_end_GPa": None}
    stage |= {"cell": "iso", "steps": steps, "timestep_fs": 2.0, "thermo_every": 5}
    return stage | {"dump_every": 10} | more


STAGES = [
    _stage("heat", "nvt", 300.0, 30, temperature_end_K=900.0),
    _stage("relax", "minimize", 900.0, 5),
    _stage("hold", "npt", 900.0, 20, pressure_GPa=0.0),
    _stage("free", "nve", 900.0, 10, dump_every=5),
    _stage("cold", "nvt", 20.0, 20),  # 3 x 20 K is soon passed: a runaway
]


def _run(source: Path, script: str, args: dict, out: Path) -> None:
    out.mkdir(parents=True)
    path = out / "args.json"
    path.write_text(json.dumps(args))
    done = subprocess.run(
        [sys.executable, str(source / script), "md", str(path)], capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"{source / script} failed:\n{done.stderr[-3000:]}")


def _bussi(out: Path, structure: Path, start: str | None, chunks: list, **more) -> dict:
    args = {"threads": 1, "level": LEVEL, "structure": str(structure), "masses": {}}
    args |= {"seed": 3, "start": start, "temperature_K": 600.0, "timestep_fs": 2.0}
    args |= {"thermostat_timecon_fs": 50.0, "print_every": 5, "stress": True}
    args["chunks"] = [{"dir": str(out / c), "first": f, "nsteps": n} for c, f, n in chunks]
    return args | more


def runs(source: Path, root: Path, structure: Path) -> None:
    """Every run of the module docstring with the scripts of ``source``, under ``root``."""
    b = root / "bussi"
    _run(
        source,
        "calculators/runner.py",
        _bussi(b, structure, None, [("c0", 0, 20), ("c1", 20, 20)]),
        b,
    )
    again = root / "bussi_resumed"
    args = _bussi(again, structure, str(b / "c0" / "state.json"), [("c1", 20, 20)])
    _run(source, "calculators/runner.py", args, again)
    hot = root / "bussi_runaway"
    chunks = [("c0", 0, 20), ("c1", 20, 20)]
    args = _bussi(hot, structure, None, chunks, stress=False, max_temperature_K=650.0)
    _run(source, "calculators/runner.py", args, hot)
    model = root / "model"
    model.mkdir()
    (model / "family.json").write_text(json.dumps({"family": "foundation", "spec": LEVEL}))
    args = {"model_dir": str(model), "structure": str(structure), "out": str(root / "staged")}
    args |= {"stages": STAGES, "seed": 5, "tdamp_fs": 100.0, "pdamp_fs": 1000.0}
    args |= {"max_temperature_factor": 3.0, "initial_temperature_K": None, "device": "cpu"}
    _run(source, "families/runner.py", args, root / "staged")


def _content(path: Path):
    if path.name == "state.json":
        return {k: v for k, v in json.loads(path.read_text()).items() if k != "seconds"}
    return path.read_bytes()


def main() -> None:
    commit = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        old_tree = tmp / "old"
        old_tree.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", commit, "src"], check=True, capture_output=True
        )
        subprocess.run(["tar", "-x", "-C", str(old_tree)], input=archive.stdout, check=True)
        atoms = bulk("Cu", cubic=True).repeat(2)
        atoms.rattle(0.05, seed=1)
        structure = tmp / "structure.extxyz"
        ase.io.write(structure, atoms)
        runs(old_tree / "src/mofglass", tmp / "before", structure)
        runs(REPO / "src/mofglass", tmp / "after", structure)
        files = sorted(
            p.relative_to(tmp / "before")
            for p in (tmp / "before").rglob("*")
            if p.is_file() and p.name != "args.json"
        )
        differ = [f for f in files if _content(tmp / "before" / f) != _content(tmp / "after" / f)]
        for f in files:
            print(f"{'DIFFERS' if f in differ else 'same   '} {f}")
        print(f"{len(files) - len(differ)} of {len(files)} files the same")
        sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
