"""RDF + N-Zn-N angles + Zn-N coordination over a 2176-atom, 1000-frame ZIF-4
trajectory: mofglass against amof 1.1.0 (the reference work's analysis library) on the
same frames.

    .venv/bin/python bench/analysis_speed.py [--frames 1000] [--workdir DIR]
        [--amof-python /path/to/venv-with-amof/bin/python]

The trajectory (ZIF-4 2x2x2 with Ornstein-Uhlenbeck thermal displacements of about
0.1 Å) is written first and not timed. amof needs numpy<2, pandas<2, scipy<1.14 and
asap3, so it runs in its own virtual environment (see bench/README.md); without
``--amof-python`` only mofglass is timed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import ase.io
import numpy as np

from mofglass import analysis
from mofglass.structures import load_structure

AMOF_SCRIPT = r"""
import json, sys, time
import ase.io
import amof.bad, amof.cn, amof.rdf
frames = ase.io.read(sys.argv[1], index=":")
start = time.perf_counter()
rdf = amof.rdf.Rdf.from_trajectory(frames, dr=0.05, rmax=8.0)
bad = amof.bad.Bad.from_trajectory(frames, {"Zn-N": 2.5})
cn = amof.cn.CoordinationNumber.from_trajectory(frames, {"Zn-N": 2.5})
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "cn_mean": float(cn.data["Zn-N"].mean())}))
"""


def trajectory(path: Path, n_frames: int) -> None:
    crystal = load_structure("builtin:ZIF-4").repeat((2, 2, 2))
    rng = np.random.default_rng(0)
    displacement = np.zeros_like(crystal.positions)
    frames = []
    for _ in range(n_frames):
        displacement = 0.9 * displacement + np.sqrt(1 - 0.81) * rng.normal(
            0, 0.1, displacement.shape
        )
        frame = crystal.copy()
        frame.positions += displacement
        frames.append(frame)
    ase.io.write(path, frames, format="extxyz")


def ours(path: Path) -> dict:
    frames = ase.io.read(path, index=":")
    start = time.perf_counter()
    analysis.partial_rdfs(frames, [("Zn", "N"), ("Zn", "Zn"), ("N", "N")], 8.0, 160)
    angles = np.concatenate([analysis.bond_angles(f) for f in frames])
    summary = analysis.coordination_summary(frames)
    return {
        "seconds": time.perf_counter() - start,
        "cn_mean": summary["zn_n_coordination"],
        "angle_mean": float(angles.mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--workdir")
    parser.add_argument("--amof-python")
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="mofglass-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "trajectory.xyz"
    if not path.exists():
        trajectory(path, args.frames)
    mine = ours(path)
    print(
        f"mofglass: {mine['seconds']:.1f} s, CN {mine['cn_mean']:.3f}, "
        f"N-Zn-N mean {mine['angle_mean']:.2f} deg"
    )
    if args.amof_python:
        script = workdir / "amof_bench.py"
        script.write_text(AMOF_SCRIPT)
        out = subprocess.run(
            [args.amof_python, str(script), str(path)], capture_output=True, text=True, check=True
        )
        theirs = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"amof 1.1.0: {theirs['seconds']:.1f} s, CN {theirs['cn_mean']:.3f}")
        print(f"speed ratio amof/mofglass: {theirs['seconds'] / mine['seconds']:.2f}")


if __name__ == "__main__":
    main()
