"""Castel et al.'s published NequIP through mofglass: its errors on a run's test splits,
and 0.1 ps of NVT on the ZIF-4 crystal through the ASE engine, timed.

    .venv/bin/python bench/published_model.py ARCHIVE RESULTS [--md-ps 0.1]

ARCHIVE: ``nequip_l2r6stress0.pth`` (../shared/data/models/castel2024/); RESULTS: the
``results/`` folder of a finished run (its ``datasets/*/test.extxyz``). The errors are
against that run's labels, at that run's level (the default: SevenNet-0 + D3, not the
PBE-D3 the model learnt), so they measure the gap between the two levels as much as the
model; energies after their mean per-atom offset (the two levels' zeros differ).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from mofglass import families
from mofglass.atomicio import read_frames
from mofglass.cross_check import level_errors
from mofglass.md import Protocol, StabilityWatch, Stage, run_md
from mofglass.models import load_model
from mofglass.structures import load_structure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("results", type=Path)
    parser.add_argument("--md-ps", type=float, default=0.1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        block = {"type": "published", "file": str(args.archive), "engine": "ase"}
        families.publish("castel_nequip", block, tmp, None)
        model = load_model(Path(tmp) / "model.json")
        rows = []
        for test in sorted(args.results.glob("datasets/*/test.extxyz")):
            frames = read_frames(test)
            start = time.perf_counter()
            predicted = model.predict(frames)
            seconds = time.perf_counter() - start
            # two levels' energies differ by a constant per atom (their zeros): the
            # energy error is taken after the mean offset, as the cross-check does
            row = {"split": f"{test.parent.name}/test", **level_errors(frames, predicted)}
            row["level"] = frames[0].info.get("level_of_theory", "") if frames else ""
            row["s_per_frame"] = seconds / max(len(frames), 1)
            rows.append(row)
        print(pd.DataFrame(rows).to_string(index=False))
        crystal = load_structure("builtin:ZIF-4")
        steps = int(round(args.md_ps * 1000 / 0.5))
        stage = Stage(
            "nvt", "nvt", temperature_K=300, steps=steps, timestep_fs=0.5, thermo_every=20
        )
        start = time.perf_counter()
        result = run_md(
            crystal,
            model,
            Protocol((stage,), seed=1),
            Path(tmp) / "md",
            watch=StabilityWatch(crystal).problems,
        )
        seconds = time.perf_counter() - start
        thermo = result.thermo
        print(
            f"NVT 300 K, {args.md_ps} ps ({steps} steps of 0.5 fs), {len(crystal)} atoms: "
            f"{result.verdict} {result.reason}; T over the second half "
            f"{thermo['temperature_K'].iloc[len(thermo) // 2 :].mean():.0f} K; "
            f"{seconds:.0f} s ({seconds / steps:.2f} s per step)"
        )


if __name__ == "__main__":
    main()
