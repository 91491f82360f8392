"""Selection at scale: flat-histogram over a 1.2-million-frame pool, CBAD over 20 000
frames of a 276-atom MOF.

    .venv/bin/python bench/selection.py flat [--frames 1200000] [--workdir DIR]
    .venv/bin/python bench/selection.py cbad [--frames 20000] [--processes 2] [--workdir DIR]

Each case writes synthetic input first (not timed), then runs the selection job as the
workflow does (``mofglass.jobs.selection.select_job``: read the pool CSV, select, write the
lineage CSV and the figures) in a fresh Python process, and prints that process's wall
time and peak resident memory (its CBAD worker processes are reported separately).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mofglass.jobs.selection import select_job
from mofglass.pool import POOL_COLUMNS, frame_id

ZIF8 = (
    Path(__file__).resolve().parents[2]
    / "shared/data/structures/crystals/ZIF-8_Gaillac2018_cp2k-input_conventional.cif"
)


def peak_rss_gb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024**2


def synthetic_pool(n_frames: int, n_atoms: int = 272) -> pd.DataFrame:
    """A pool shaped like the reference one: 8 liquid runs (1500/1750 K at four volumes)
    and a crystal run at 300 K, each an AR(1) series of energies per atom with the
    canonical spread kT*sqrt(3/(2N)) and a correlation time of 100 frames."""
    rng = np.random.default_rng(0)
    runs = [(t, v) for t in (1500, 1750) for v in (0.90, 0.95, 1.00, 1.05)] + [(300, 1.0)]
    per_run = n_frames // len(runs)
    phi = np.exp(-1 / 100)
    tables = []
    for temperature, volume in runs:
        sigma = 8.617e-5 * temperature * np.sqrt(3 / (2 * n_atoms))
        mean = -47.25 + (0.0 if temperature == 300 else 0.12 + 6e-5 * (temperature - 1500))
        mean += 0.3 * (volume - 1.0) ** 2
        noise = rng.normal(0, sigma * np.sqrt(1 - phi**2), per_run)
        series = np.empty(per_run)
        series[0] = rng.normal(0, sigma)
        for k in range(1, per_run):  # a plain loop: 1.2 M steps take about a second
            series[k] = phi * series[k - 1] + noise[k]
        energy = (mean + series) * n_atoms
        run = f"ZIF-4/T{temperature}_V{volume:.3f}"
        steps = np.arange(1, per_run + 1)
        tables.append(
            pd.DataFrame(
                {
                    "frame_id": [frame_id(run, s) for s in steps],
                    "structure": "ZIF-4",
                    "run": run,
                    "trajectory": f"results/aimd/{run}/trajectory.extxyz",
                    "frame": steps,
                    "step": steps,
                    "time_fs": steps * 0.5,
                    "temperature_K": float(temperature),
                    "volume_scale": volume,
                    "n_atoms": n_atoms,
                    "energy_eV": energy,
                    "energy_per_atom_eV": energy / n_atoms,
                }
            )
        )
    return pd.concat(tables, ignore_index=True)[POOL_COLUMNS]


def mof_trajectory(path: Path, n_frames: int) -> int:
    """Frames of a MOF (ZIF-8, 276 atoms, from ../shared; else ZIF-4, 272) in an
    Ornstein-Uhlenbeck walk around the crystal whose amplitude grows as sqrt(T) from
    100 to 1000 K, with an isotropic cell breathing of about 1 %. Returns atoms/frame."""
    import ase.io

    from mofglass.structures import load_structure

    crystal = ase.io.read(ZIF8) if ZIF8.is_file() else load_structure("builtin:ZIF-4")
    rng = np.random.default_rng(1)
    displacement = np.zeros_like(crystal.positions)
    strain = 0.0
    path.unlink(missing_ok=True)
    frames = []
    for k in range(n_frames):
        temperature = 100 + 900 * k / max(1, n_frames - 1)
        sigma = 0.08 * np.sqrt(temperature / 300)
        displacement = 0.9 * displacement + np.sqrt(1 - 0.81) * rng.normal(
            0, sigma, displacement.shape
        )
        strain = 0.95 * strain + np.sqrt(1 - 0.95**2) * rng.normal(0, 0.01 / 3)
        frame = crystal.copy()
        frame.set_cell(crystal.cell * (1 + strain), scale_atoms=True)
        frame.positions += displacement
        frames.append(frame)
        if len(frames) == 1000 or k == n_frames - 1:
            ase.io.write(path, frames, format="extxyz", append=True)
            frames = []
    return len(crystal)


def cbad_pool(trajectory: Path, n_frames: int, n_atoms: int) -> pd.DataFrame:
    steps = np.arange(n_frames)
    run = "MOF/T100_V1.000"
    return pd.DataFrame(
        {
            "frame_id": [frame_id(run, s) for s in steps],
            "structure": "MOF",
            "run": run,
            "trajectory": str(trajectory),
            "frame": steps,
            "step": steps,
            "time_fs": steps * 1.0,
            "temperature_K": 100.0,
            "volume_scale": 1.0,
            "n_atoms": n_atoms,
            "energy_eV": np.zeros(n_frames),
            "energy_per_atom_eV": np.zeros(n_frames),
        }
    )


FLAT = {"selector": "flat_histogram", "train": 2500, "test": 200, "validation": 10000}
CBAD = {
    "selector": "cbad",
    "train": None,
    "test": 200,
    "validation": 1000,
    "cbad": {
        "cell_length_A": 0.1,
        "cell_angle_deg": 1.0,
        "bond_A": 0.05,
        "angle_deg": 5.0,
        "dihedral_deg": 10.0,
        "bond_scale": 1.2,
        "order": "pool",
    },
}


def prepare(case: str, n: int, workdir: Path) -> None:
    pool_file = workdir / "pool.csv"
    if case == "flat":
        synthetic_pool(n).to_csv(pool_file, index=False)
    else:
        trajectory = workdir / "trajectory.extxyz"
        n_atoms = mof_trajectory(trajectory, n)
        cbad_pool(trajectory, n, n_atoms).to_csv(pool_file, index=False)


def run(case: str, workdir: Path, processes: int) -> None:
    block = dict(FLAT if case == "flat" else CBAD, seed=1, stride=1, temperatures_K=None)
    threads = 1 if case == "flat" else processes
    out = workdir / case
    start = time.perf_counter()
    lineage = select_job(
        str(workdir / "pool.csv"),
        "bench",
        block,
        str(out / "selection.csv"),
        str(out / "energy_distribution.png"),
        str(out / "cbad_coverage.csv"),
        str(out / "cbad_coverage.png"),
        threads=threads,
    )
    wall = time.perf_counter() - start
    counts = lineage["split"].value_counts().to_dict()
    print(f"{case}: {len(lineage)} frames, {threads} process(es): {wall:.1f} s wall")
    print(
        f"peak RSS {peak_rss_gb():.2f} GB (job process), "
        f"{peak_rss_gb(resource.RUSAGE_CHILDREN):.2f} GB (largest worker)"
    )
    print(f"splits {counts}")
    if case == "cbad":
        coverage = pd.read_csv(out / "cbad_coverage.csv")
        print(
            f"{len(coverage)} descriptor types, {coverage['bins_visited'].sum()} bins visited, "
            f"{coverage['bins_covered'].sum()} covered by {counts.get('train', 0)} frames"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=["flat", "cbad"])
    parser.add_argument("--frames", type=int)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--workdir")
    parser.add_argument("--run-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="mofglass-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.run_only:
        run(args.case, workdir, args.processes)
        return
    n = args.frames or (1_200_000 if args.case == "flat" else 20_000)
    start = time.perf_counter()
    prepare(args.case, n, workdir)
    print(f"input: {n} frames written to {workdir} in {time.perf_counter() - start:.0f} s")
    command = [sys.executable, __file__, args.case, "--workdir", str(workdir), "--run-only"]
    subprocess.run([*command, "--processes", str(args.processes)], check=True)


if __name__ == "__main__":
    main()
