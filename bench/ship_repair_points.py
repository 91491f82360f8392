"""Ship a repaired level's DFT points with mofglass (maintainers; issue 33).

The points are what the pipeline's own rule computed (``repair_dft``, with
``repair.shipped: null``); this copies them to ``src/mofglass/data/repair/NAME.extxyz``,
each frame carrying the CP2K level's settings (checked by the run that uses them), and
writes ``NAME.json`` beside them: CP2K's version, the mofglass commit, the date, the
config block that made them and the number of points.

    .venv/bin/snakemake results/repair/<level>/dft.extxyz --cores all --configfile C
    .venv/bin/python bench/ship_repair_points.py C <level> NAME
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
from pathlib import Path

import yaml

from mofglass import levels, repair
from mofglass.atomicio import read_frames
from mofglass.config import validate_config
from mofglass.cp2k.run import cp2k_version

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("configfile")
    parser.add_argument("level")
    parser.add_argument("name")
    args = parser.parse_args()
    config = validate_config(
        yaml.safe_load(Path(args.configfile).read_text()),
        REPO / "workflow/schemas/config.schema.yaml",
    )
    block = config["levels_of_theory"][args.level]
    dft_name = block["repair"]["level_of_theory"]
    dft_level = levels.build(dft_name, config["levels_of_theory"][dft_name])
    frames = read_frames(f"results/repair/{args.level}/dft.extxyz")
    target = repair.shipped_file(args.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    repair.ship(frames, dft_level, target)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    record = {
        "name": args.name,
        "points": len(frames),
        "level_of_theory": dft_name,
        "cp2k": cp2k_version(config["cp2k"]["command"].format(ranks=1, omp_threads=1)),
        "mofglass_commit": commit,
        "date": datetime.date.today().isoformat(),
        "structure": config["structures"][block["repair"]["structure"]]["source"],
        "repair": block["repair"],
    }
    target.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"{target}: {len(frames)} points")


if __name__ == "__main__":
    main()
