"""What a rehearsal measured: every job's wall time and memory against its cost model.

Reads a rehearsal's folder (``bench/rehearse_on_slurm.py``): its config, Snakemake's
benchmark files (``benchmarks/**.tsv``: wall s, max RSS MB) and the rules' benchmark
paths, which name each job's rule and wildcards. For every job, its work from the
config (:func:`mofglass.cost.job_work`) turns the measured seconds into the unit the
cost table uses (core-s or µs per atom per evaluation), next to the table's figure.

    .venv/bin/python bench/rehearsal_costs.py /tmp/rehearsal-paper [--dag paper-dry-run.txt]

With ``--dag`` (a ``snakemake -n --forceall`` of the full config), every rule of that
DAG is listed: ran (with its measured unit cost; ``--summary``, the rehearsal's
``snakemake --summary``, adds the rules that keep no benchmark), failed, or not run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from mofglass import cost, measured, status  # noqa: E402
from mofglass.config import validate_config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--dag", type=Path, help="a dry run of the full config")
    parser.add_argument(
        "--summary", type=Path, help="snakemake --summary of the rehearsal (local rules done)"
    )
    parser.add_argument("--configfile", type=Path, help="default: <directory>/rehearsal-*.yaml")
    args = parser.parse_args()
    config_file = args.configfile or next(args.directory.glob("rehearsal-*.yaml"))
    config = validate_config(
        yaml.safe_load(config_file.read_text()), REPO / "workflow/schemas/config.schema.yaml"
    )
    # the rehearsal's GPU jobs computed on the CPU (bench/rehearse_on_slurm.py)
    table = measured.jobs(args.directory, config, REPO / "workflow/rules", runs_on="cpu")
    print(table.to_markdown(index=False, floatfmt=".4g"))
    # per unit: the median over jobs that ran long enough to measure (a job that
    # stopped early, as a failed exploration, did less than its work)
    timed = table[table["wall_s"] >= measured.MIN_WALL_S]
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
        dag = status.parse_dry_run(args.dag.read_text())
        planned = pd.Series([job["rule"] for job in dag])
        targets = {job["rule"] for job in dag if not job["outputs"]}  # `all`: no files
        failed = set(status.failed_jobs(args.directory).values())
        done = pd.Series(dtype=str)
        if args.summary:  # every rule whose outputs are there and up to date
            summary = status.parse_summary(args.summary.read_text())
            ok = summary[(summary["status"] == "ok") & (summary["plan"] == "no update")]
            done = ok.drop_duplicates(["rule", "log-file(s)"])["rule"]
        beyond = args.directory / "beyond_node.tsv"  # jobs the node cannot hold
        big = pd.read_csv(beyond, sep="\t") if beyond.exists() else pd.DataFrame(columns=["rule"])
        print("\n| rule of the full DAG | jobs there | rehearsal | measured (per atom) |")
        print("|---|---|---|---|")
        for rule, count in sorted(planned.value_counts().items()):
            ran = table[table["rule"] == rule] if len(table) else table
            said, unit = _said(rule, ran, big[big["rule"] == rule], done, failed)
            if rule in targets:
                said = "a target without files of its own: done when its inputs are"
            print(f"| {rule} | {count} | {said} | {unit} |")


def _said(rule: str, ran: pd.DataFrame, big: pd.DataFrame, done: pd.Series, failed) -> tuple:
    """What the rehearsal did with ``rule`` and the unit cost its jobs measured: ``ran``
    its jobs with a benchmark, ``big`` its jobs beyond the node (beyond_node.tsv),
    ``done`` the rules whose outputs are up to date, ``failed`` the rules that failed."""
    beyond = ""
    if len(big):
        gb = f"up to {big['needs_GB'].max():.0f} GB, the node has {big['node_GB'].iloc[0]:.0f}"
        beyond = f"{len(big)} beyond the node ({gb})"
    if len(ran) and rule in cost.SELF_SIZED and len(big):  # run, less what did not fit
        said = f"ran {len(ran)}; {beyond}: each part that did not fit is a row that says so"
        return said, "(no unit cost: parts left out)"
    if len(ran):
        unit = "; ".join(
            f"{key}: {part['measured_per_atom'].median():.3g} {part['unit'].iloc[0]}"
            for key, part in ran.groupby("key")
        )
        return f"ran {len(ran)}" + (f"; {beyond}, not run" if beyond else ""), unit
    if (done == rule).any():
        return f"ran {(done == rule).sum()} (no benchmark: a local rule)", ""
    if rule in failed:
        return "failed (its log)", ""
    return (f"{beyond}: not run" if beyond else "not run"), ""


if __name__ == "__main__":
    main()
