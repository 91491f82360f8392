"""What a rehearsal measured: every job's wall time and memory against its cost model.

Reads a rehearsal's folder (``bench/rehearse_on_slurm.py``): its config, Snakemake's
benchmark files (``benchmarks/**.tsv``: wall s, max RSS MB) and the rules' benchmark
paths, which name each job's rule and wildcards. For every job, its work from the
config (:func:`mofglass.cost.job_work`) turns the measured seconds into the unit the
cost table uses (core-s or µs per atom per evaluation), next to the table's figure.

    .venv/bin/python bench/rehearsal_costs.py /tmp/rehearsal-paper [--dag paper-dry-run.txt]

With ``--dag`` (a ``snakemake -n --forceall`` of the full config), every rule of that
DAG is listed: ran (with its measured unit cost) or why not (failed: the log's last
error line; not reached).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from mofglass import cost, status  # noqa: E402
from mofglass.config import validate_config  # noqa: E402


def benchmark_patterns(rules: Path) -> dict[str, re.Pattern]:
    """Each rule's benchmark path as a regex whose named groups are its wildcards."""
    out = {}
    for path in sorted(rules.glob("*.smk")):
        text = path.read_text()
        for rule, body in re.findall(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", text, re.M | re.S):
            found = re.search(r"^    benchmark:\n\s+\"([^\"]+)\"", body, re.M)
            if found:
                pattern = re.escape(found.group(1))
                pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+?)", pattern)
                out[rule] = re.compile(pattern + "$")
    return out


def measured(directory: Path, config: dict) -> pd.DataFrame:
    """One row per benchmarked job: rule, wildcards, wall s, max RSS (MB), its work and
    the unit cost it measures beside the table's."""
    patterns = benchmark_patterns(REPO / "workflow/rules")
    rows = []
    for tsv in sorted((directory / "benchmarks").rglob("*.tsv")):
        relative = str(tsv.relative_to(directory))
        for rule, pattern in patterns.items():
            match = pattern.match(relative)
            if not match:
                continue
            bench = pd.read_csv(tsv, sep="\t").iloc[-1]
            wildcards = match.groupdict()
            work = cost.job_work(config, rule, wildcards)
            unit = cost.unit(work.key, work.device)
            scale = 1e6 if unit.unit.startswith("µs") else 1.0
            parallel = work.gpus if work.device == "gpu" else work.cores
            per_atom = bench["s"] * max(1, parallel) / (work.atoms * work.count) * scale
            rows.append(
                {
                    "rule": rule,
                    "job": ",".join(f"{k}={v}" for k, v in wildcards.items()),
                    "wall_s": round(float(bench["s"]), 1),
                    "max_rss_MB": round(float(bench["max_rss"]), 0),
                    "key": work.key,
                    "device": work.device,
                    "atoms": work.atoms,
                    "evaluations": work.count,
                    "measured_per_atom": per_atom,
                    "table_per_atom": unit.per_atom(work.atoms),
                    "unit": unit.unit,
                    "table_status": unit.status,
                }
            )
            break
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--dag", type=Path, help="a dry run of the full config")
    parser.add_argument("--configfile", type=Path, help="default: <directory>/rehearsal-*.yaml")
    args = parser.parse_args()
    config_file = args.configfile or next(args.directory.glob("rehearsal-*.yaml"))
    config = validate_config(
        yaml.safe_load(config_file.read_text()), REPO / "workflow/schemas/config.schema.yaml"
    )
    table = measured(args.directory, config)
    print(table.to_markdown(index=False, floatfmt=".4g"))
    # per unit: the median over jobs that ran long enough to measure (5 s and more;
    # a job that stopped early, as a failed exploration, did less than its work)
    timed = table[table["wall_s"] >= 5.0]
    summary = timed.groupby(["key", "device", "unit", "table_status"]).agg(
        jobs=("rule", "size"),
        atoms=("atoms", "max"),
        measured_per_atom=("measured_per_atom", "median"),
        table_per_atom=("table_per_atom", "median"),
        max_rss_MB=("max_rss_MB", "max"),
    )
    summary["measured/table"] = summary["measured_per_atom"] / summary["table_per_atom"]
    print("\n" + summary.reset_index().to_markdown(index=False, floatfmt=".4g"))
    if args.dag:
        dag_rules = sorted({job["rule"] for job in status.parse_dry_run(args.dag.read_text())})
        ran = set(table["rule"]) if len(table) else set()
        print("\n| rule of the full DAG | rehearsal |\n|---|---|")
        for rule in dag_rules:
            print(f"| {rule} | {'ran' if rule in ran else 'not benchmarked (local or not run)'} |")


if __name__ == "__main__":
    main()
