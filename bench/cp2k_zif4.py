"""Cost of GFN1-xTB on the built-in ZIF-4 cell (272 atoms) with Debian's CP2K.

Measures what sizes the default config: a single point with and without the
analytical stress (2 MPI ranks), the throughput of two 1-rank single points side by
side, and the cost of an MD step. Run from the repository root:

    .venv/bin/python bench/cp2k_zif4.py [workdir]

Prints a Markdown table (seconds of wall time) for bench/README.md.
"""

from __future__ import annotations

import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from mofglass.aimd import run_aimd
from mofglass.cp2k.inputs import MDSettings
from mofglass.cp2k.levels import LevelOfTheory
from mofglass.cp2k.outputs import read_ener
from mofglass.cp2k.run import Launcher
from mofglass.labels import single_point
from mofglass.structures import load_structure


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(workdir: Path) -> None:
    atoms = load_structure("builtin:ZIF-4")
    atoms.rattle(0.02, seed=1)
    xtb = LevelOfTheory.from_config("xtb", {"method": "gfn1-xtb"})
    two, one = Launcher(ranks=2), Launcher(ranks=1)
    rows = []
    t = timed(lambda: single_point(atoms, xtb, two, workdir / "sp2s", stress=True))
    rows.append(("single point + stress, 2 ranks", f"{t:.1f}"))
    t = timed(lambda: single_point(atoms, xtb, two, workdir / "sp2", stress=False))
    rows.append(("single point, 2 ranks", f"{t:.1f}"))

    def pair():
        with ThreadPoolExecutor(2) as pool:
            jobs = [
                pool.submit(single_point, atoms, xtb, one, workdir / f"sp1s{k}", True)
                for k in range(2)
            ]
            [job.result() for job in jobs]

    t = timed(pair)
    rows.append(("two single points + stress, 1 rank each, side by side", f"{t:.1f}"))
    md = MDSettings(temperature_K=600, seed=1)
    run_aimd(atoms, xtb, md, steps=8, chunk_steps=4, launcher=two, workdir=workdir / "md")
    used = [read_ener(workdir / "md" / f"chunk{k:04d}" / "md-1.ener")[:, 6] for k in (0, 1)]
    rows.append(("MD: first step from the MOPAC guess, 2 ranks", f"{used[0][1]:.1f}"))
    rows.append(("MD: first step of a restarted chunk (wavefunction restart)", f"{used[1][0]:.1f}"))
    steady = np.concatenate([used[0][2:], used[1][1:]])
    rows.append(("MD: later steps, mean (2 ranks)", f"{steady.mean():.1f}"))
    print("| ZIF-4 (272 atoms), GFN1-xTB | wall s |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="bench-"))
    main(target)
