"""Where a finished run's time went: inside the science codes (LAMMPS, CP2K, a reference
calculator, model training, a model family's Python, Zeo++) or outside them (Python
start-up and imports, file formats, bookkeeping), from the last line of every job's log
(:mod:`mofglass.timing`) and Snakemake's own log of the run.

    .venv/bin/python bench/overhead.py RUN_DIR [--cores 2] [--record]

RUN_DIR is a project directory after ``snakemake --cores N`` (its ``logs/`` and the
newest ``.snakemake/log/*.snakemake.log``). Reported:

- the DAG's wall time (Snakemake's first and last timestamps) and its core-seconds
  (wall x cores);
- the sum of the jobs' lives (each job process from its start to its exit) and, of it,
  the time inside each science code;
- the overhead: job time outside the science codes, as a fraction of the DAG's
  core-seconds, and the cores' idle time (core-seconds no job used: dependencies,
  Snakemake's own work between jobs).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path

LINE = re.compile(r"time in science codes: (?P<codes>.*); the job (?P<job>[0-9.]+) s")
CODE = re.compile(r"(?P<code>[\w+.-]+) (?P<seconds>[0-9.]+) s")
STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]")


def job_times(logs: Path) -> tuple[list[dict], list[Path]]:
    """Per job log: its life (s) and seconds per science code; and the logs without the
    summary line (a job killed, or a rule whose script does not set up logging)."""
    jobs, missing = [], []
    for path in sorted(logs.rglob("*.log")):
        found = [LINE.search(line) for line in path.read_text(errors="replace").splitlines()]
        found = [m for m in found if m]
        if not found:
            missing.append(path)
            continue
        for match in found:  # a rerun appends to the same log: each run of the job counts
            codes = {} if match["codes"] == "none" else dict(_codes(match["codes"]))
            jobs.append({"log": str(path), "job_s": float(match["job"]), **codes})
    return jobs, missing


def _codes(text: str):
    for match in CODE.finditer(text):
        yield match["code"], float(match["seconds"])


def dag_wall_s(run: Path) -> float:
    """Seconds between the first and the last timestamp of the newest Snakemake log."""
    newest = max((run / ".snakemake/log").glob("*.snakemake.log"), key=lambda p: p.stat().st_mtime)
    stamps = [
        datetime.strptime(m[1], "%a %b %d %H:%M:%S %Y")
        for m in (STAMP.match(line) for line in newest.read_text().splitlines())
        if m
    ]
    return (max(stamps) - min(stamps)).total_seconds()


def overhead(run: Path, cores: int) -> dict:
    jobs, missing = job_times(run / "logs")
    inside = defaultdict(float)
    for job in jobs:
        for code, seconds in job.items():
            if code not in ("log", "job_s"):
                inside[code] += seconds
    wall = dag_wall_s(run)
    lives = sum(job["job_s"] for job in jobs)
    science = sum(inside.values())
    return {
        "jobs": len(jobs),
        "logs_without_summary": len(missing),
        "dag_wall_s": wall,
        "core_s": wall * cores,
        "job_lives_s": lives,
        "science_s": science,
        **{f"science_{code}_s": seconds for code, seconds in sorted(inside.items())},
        "outside_science_s": lives - science,
        "overhead_fraction": (lives - science) / (wall * cores),
        "idle_fraction": 1.0 - lives / (wall * cores),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    found = overhead(args.run, args.cores)
    for key, value in found.items():
        print(f"{key:>28}: {value:.3f}" if isinstance(value, float) else f"{key:>28}: {value}")
    if args.record:
        sys.path.insert(0, str(Path(__file__).parent))
        from analysis_speed import record

        record(
            [
                {"bench": "overhead", "quantity": key, "value": value, "unit": ""}
                for key, value in found.items()
            ]
        )


if __name__ == "__main__":
    main()
