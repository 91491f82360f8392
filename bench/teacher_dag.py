"""The decision experiment of issue 33: the default DAG unchanged but for its teacher.

Writes a config that is ``config/config.yaml`` with its reference level replaced, then
(with ``--run``) runs it in a fresh copy of the project:

- ``sevennet``: the default's base level, SevenNet-0 + D3, unrepaired;
- ``repaired``: the default as shipped (SevenNet-0 + D3 repaired on Zn-N);
- ``castel``: Castel et al.'s PBE-D3 NequIP (``../shared``; skipped, saying why,
  where it is absent), through ``bench/teachers/castel_level.py``.

    .venv/bin/python bench/teacher_dag.py castel --dir /tmp/dag-castel [--seed 1] [--run]

The run's glasses are then in ``<dir>/results/analysis/meltquench/<model>/summary.csv``
and its verdicts in ``<dir>/results/meltquench/verdicts.tsv``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CASTEL = REPO.parent / "shared/data/models/castel2024/nequip_l2r6stress0.pth"


def teacher_config(teacher: str, seed: int) -> dict:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    levels = config["levels_of_theory"]
    reference = config["aimd"]["level_of_theory"]
    if teacher == "sevennet":
        levels[reference] = dict(levels[levels[reference]["base"]])
    elif teacher == "castel":
        if not CASTEL.is_file():
            sys.exit(f"skipped: {CASTEL} (Castel et al.'s NequIP, ../shared) is not here")
        levels[reference] = {
            "calculator": "castel_level:CastelNequIP",
            "kwargs": {"path": str(CASTEL)},
            "env": "nequip",
        }
    elif teacher != "repaired":
        sys.exit(f"unknown teacher {teacher!r}: sevennet, repaired or castel")
    if seed:
        config["seed"] = seed
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("teacher", choices=["sevennet", "repaired", "castel"])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run", action="store_true")
    args = parser.parse_args()
    config = teacher_config(args.teacher, args.seed)
    args.dir.mkdir(parents=True, exist_ok=True)
    for name in ("workflow", "config", "src", "profiles"):
        if not (args.dir / name).exists():
            shutil.copytree(
                REPO / name, args.dir / name, ignore=shutil.ignore_patterns("__pycache__")
            )
    for name in (".venv", ".venvs"):
        if not (args.dir / name).exists():
            (args.dir / name).symlink_to(REPO / name)
    (args.dir / "teacher.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    print(f"wrote {args.dir / 'teacher.yaml'}")
    if args.run:
        env = {**os.environ, "PYTHONPATH": str(REPO / "bench/teachers")}
        command = [
            str(REPO / ".venv/bin/snakemake"),
            "--cores",
            "all",
            "--configfile",
            "teacher.yaml",
        ]
        sys.exit(subprocess.run(command, cwd=args.dir, env=env).returncode)


if __name__ == "__main__":
    main()
