"""Time five SevenNet-0 + D3 labels of the 272-atom ZIF-4 cell, the model's load
included, on one thread: the speed of this machine today, written beside every timed
run of the default (bench/README.md).

    .venv/bin/python bench/label_time.py        # prints seconds in all and per label
"""

import tempfile
import time
from pathlib import Path

import numpy as np

from mofglass.calculators import CalculatorLevel, compute_labels
from mofglass.structures.builtin import builtin_crystal

N = 5


def main() -> None:
    level = CalculatorLevel.from_config(
        "sevennet",
        {"calculator": "sevennet-0", "dispersion": {"method": "PBE", "damping": "d3zero"}},
    )
    crystal = builtin_crystal("ZIF-4")
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(N):
        atoms = crystal.copy()
        atoms.positions += rng.normal(0.0, 0.03, atoms.positions.shape)
        frames.append(atoms)
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [Path(tmp, f"f{i}") for i in range(N)]
        start = time.perf_counter()
        compute_labels(level, frames, dirs, stress=True, threads=1)
        seconds = time.perf_counter() - start
    print(
        f"{N} labels of {len(crystal)} atoms, load included: {seconds:.1f} s "
        f"({seconds / N:.1f} s a label)"
    )


if __name__ == "__main__":
    main()
