"""Zn-N, Zn-Zn and N-N RDFs, N-Zn-N angles and Zn-N coordination over a 2176-atom,
1000-frame ZIF-4 trajectory: mofglass, freud-analysis and amof 1.1.0 (the reference
work's analysis library), side by side in one run, on the same frames.

    .venv/bin/python bench/analysis_speed.py [--frames 1000] [--workdir DIR]
        [--amof-python /path/to/venv-with-amof/bin/python] [--record]

The trajectory (ZIF-4 2x2x2 with Ornstein-Uhlenbeck thermal displacements of about
0.1 Å) is written first, untimed, as an ASE binary trajectory (what mofglass's MD runs
write) and as extended XYZ (what amof reads). For each code the bench times reading
and computing separately; wall time is their sum. amof needs numpy<2, pandas<2,
scipy<1.14 and asap3, so it runs in its own virtual environment (see bench/README.md);
without ``--amof-python`` it is left out. ``--record`` appends the figures to
bench/history.csv.
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
from ase.data import atomic_numbers

from mofglass import analysis
from mofglass.structures import load_structure

PAIRS = [("Zn", "N"), ("Zn", "Zn"), ("N", "N")]
R_MAX, BINS, CUTOFF = 8.0, 160, 2.5

AMOF_SCRIPT = r"""
import json, sys, time
start = time.perf_counter()
import ase.io
frames = ase.io.read(sys.argv[1], index=":")
read = time.perf_counter() - start
import amof.bad, amof.cn, amof.rdf
start = time.perf_counter()
rdf = amof.rdf.Rdf.from_trajectory(frames, dr=0.05, rmax=8.0)
bad = amof.bad.Bad.from_trajectory(frames, {"Zn-N": 2.5})
cn = amof.cn.CoordinationNumber.from_trajectory(frames, {"Zn-N": 2.5})
seconds = time.perf_counter() - start
print(json.dumps({"read": read, "compute": seconds, "cn_mean": float(cn.data["Zn-N"].mean())}))
"""


def trajectory(workdir: Path, n_frames: int) -> tuple[Path, Path]:
    """The bench trajectory as ``.traj`` and ``.xyz`` (written once per workdir)."""
    binary, text = workdir / "trajectory.traj", workdir / "trajectory.xyz"
    if binary.exists() and text.exists() and len(ase.io.read(binary, ":")) == n_frames:
        return binary, text
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
    ase.io.write(binary, frames, format="traj")
    ase.io.write(text, frames, format="extxyz")
    return binary, text


def timed(function, *args):
    start = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - start


def mofglass(frames) -> dict:
    """The pipeline's one-pass core (:func:`mofglass.analysis.frame_observables`)."""
    rdf = {pair: np.zeros(BINS) for pair in PAIRS}
    numbers, angles = [], []
    for atoms in frames:
        found = analysis.frame_observables(atoms, PAIRS, R_MAX, BINS, CUTOFF)
        for pair, g in found["rdf"].items():
            rdf[pair] += g / len(frames)
        numbers.append(found["coordination"])
        angles.append(found["angles"])
    return {"rdf": rdf, "cn": np.concatenate(numbers), "angles": np.concatenate(angles)}


def freud_observables(frames) -> dict:
    """The same observables from freud-analysis: ``density.RDF`` per pair (N(N-1)
    normalisation for a pair of one element, as mofglass's), the Zn-N coordination from
    an ``AABBQuery`` ball query, and the angles from that query's bond vectors (freud
    has no bond-angle module: mofglass's vectorised numpy does them)."""
    import freud

    rdf = {pair: np.zeros(BINS) for pair in PAIRS}
    computes = {
        pair: freud.density.RDF(
            BINS, R_MAX, normalization_mode="finite_size" if a == b else "exact"
        )
        for pair in PAIRS
        for a, b in [pair]
    }
    numbers, angles = [], []
    for atoms in frames:
        standard, _ = atoms.cell.standard_form()
        box = freud.box.Box.from_matrix(standard.T)
        points = (atoms.cell.scaled_positions(atoms.positions) % 1.0 - 0.5) @ standard
        by = {s: points[atoms.numbers == atomic_numbers[s]] for s in ("Zn", "N")}
        for (a, b), found in computes.items():
            # a pair of one element: freud leaves each atom out of its own shell only
            # when the points are also the query points
            found.compute((box, by[b]), query_points=None if a == b else by[a])
            rdf[(a, b)] += found.rdf / len(frames)
        query = freud.locality.AABBQuery(box, by["N"])
        bonds = query.query(by["Zn"], {"r_max": CUTOFF}).toNeighborList()
        numbers.append(np.bincount(bonds.query_point_indices, minlength=len(by["Zn"])))
        unit = bonds.vectors / bonds.distances[:, None]
        angles.append(analysis._angles_at(bonds.query_point_indices.astype(np.intp), unit))
    return {"rdf": rdf, "cn": np.concatenate(numbers), "angles": np.concatenate(angles)}


def amof(python: str, path: Path, workdir: Path) -> dict:
    script = workdir / "amof_bench.py"
    script.write_text(AMOF_SCRIPT)
    out = subprocess.run([python, str(script), str(path)], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"amof failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def record(rows: list[dict]) -> None:
    """Append rows (bench, quantity, value, unit) to bench/history.csv with the date
    and the commit."""
    import datetime

    import pandas as pd

    here = Path(__file__).parent
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=here
    ).stdout.strip()
    table = pd.DataFrame(rows).assign(date=datetime.date.today().isoformat(), commit=commit)
    table["value"] = [float(f"{v:.4g}") for v in table["value"]]
    path = here / "history.csv"
    columns = ["date", "commit", "bench", "quantity", "value", "unit"]
    table[columns].to_csv(path, mode="a", header=not path.exists(), index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--workdir")
    parser.add_argument("--amof-python")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="mofglass-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    binary, text = trajectory(workdir, args.frames)
    n = args.frames

    frames, read_binary = timed(lambda: ase.io.read(binary, ":"))
    _, read_text = timed(lambda: ase.io.read(text, ":"))
    ours, ours_s = timed(mofglass, frames)
    theirs, freud_s = timed(freud_observables, frames)
    print(f"{n} frames of {len(frames[0])} atoms; ms per frame:")
    print(
        f"  read: ASE binary trajectory {read_binary / n * 1e3:.2f},"
        f" extxyz {read_text / n * 1e3:.2f}"
    )
    print(f"  mofglass compute {ours_s / n * 1e3:.2f}, wall {(ours_s + read_binary) / n * 1e3:.2f}")
    print(
        f"  freud    compute {freud_s / n * 1e3:.2f}, wall {(freud_s + read_binary) / n * 1e3:.2f}"
    )
    print(f"  mofglass/freud compute: {ours_s / freud_s:.2f}")
    for pair in PAIRS:  # freud computes in float32
        gap = np.abs(ours["rdf"][pair] - theirs["rdf"][pair]).max()
        print(f"  g_{pair[0]}{pair[1]} max |mofglass - freud| {gap:.2e}")
    print(
        f"  CN mofglass {ours['cn'].mean():.4f}, freud {theirs['cn'].mean():.4f}; N-Zn-N mean"
        f" {ours['angles'].mean():.3f} / {np.mean(theirs['angles']):.3f} deg"
    )
    rows = [
        {"quantity": "read_traj_ms_per_frame", "value": read_binary / n * 1e3, "unit": "ms"},
        {"quantity": "read_extxyz_ms_per_frame", "value": read_text / n * 1e3, "unit": "ms"},
        {"quantity": "mofglass_compute_ms_per_frame", "value": ours_s / n * 1e3, "unit": "ms"},
        {"quantity": "freud_compute_ms_per_frame", "value": freud_s / n * 1e3, "unit": "ms"},
        {"quantity": "mofglass_over_freud_compute", "value": ours_s / freud_s, "unit": ""},
    ]
    if args.amof_python:
        found = amof(args.amof_python, text, workdir)
        wall = found["read"] + found["compute"]
        ratio = wall / (ours_s + read_binary)
        print(
            f"  amof 1.1.0 compute {found['compute'] / n * 1e3:.1f}, wall {wall / n * 1e3:.1f}"
            f" (reads extxyz); CN {found['cn_mean']:.4f}"
        )
        print(f"  amof/mofglass wall: {ratio:.1f}")
        rows += [
            {
                "quantity": "amof_compute_ms_per_frame",
                "value": found["compute"] / n * 1e3,
                "unit": "ms",
            },
            {"quantity": "amof_over_mofglass_wall", "value": ratio, "unit": ""},
        ]
    if args.record:
        record([{"bench": "analysis_speed", **row} for row in rows])


if __name__ == "__main__":
    main()
