"""The ``mofglass`` command: ``mofglass status`` tells where a run stands."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from . import status

#: The checkout this mofglass comes from: its rule files name the stages.
WORKFLOW = Path(__file__).resolve().parents[2] / "workflow"


def stage_order(workflow: Path = WORKFLOW) -> list[str]:
    """Stages in pipeline order: the rule files in the order the Snakefile includes them."""
    snakefile = workflow / "Snakefile"
    if not snakefile.is_file():
        return []
    return re.findall(r'^include: "rules/(\w+)\.smk"', snakefile.read_text(), re.MULTILINE)


def _snakemake(directory: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--nolock", *args],
        cwd=directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_status(directory: Path, snakemake_args: list[str]) -> int:
    """Print the run's status (see :mod:`mofglass.status`); 1 if a job failed. Asks
    Snakemake twice, side by side: the summary of every output, and the dry run."""
    summary = _snakemake(directory, "--summary", *snakemake_args)
    dry = _snakemake(directory, "--dry-run", *snakemake_args)
    (summary_out, summary_err), (dry_out, dry_err) = summary.communicate(), dry.communicate()
    for proc, err in ((summary, summary_err), (dry, dry_err)):
        if proc.returncode:
            print(err[-3000:], file=sys.stderr)
            return proc.returncode
    running = status.run_in_progress(directory)
    table = status.jobs(
        status.parse_summary(summary_out),
        status.parse_dry_run(dry_out + dry_err),
        status.rule_stages(WORKFLOW / "rules"),
        status.being_made(directory),
        status.failed_jobs(directory),
        running,
        directory,
    )
    print(status.render(table, stage_order(), running))
    return int((table["state"] == "failed").any())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mofglass", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser(
        "status",
        help="jobs done, running (with ETA), failed (with reason) and to do, per stage",
        description="Where the run in this directory stands, during a run or after it "
        "(local or Slurm). Arguments after -- go to snakemake, e.g. "
        "`mofglass status -- --configfile config/paper.yaml`.",
    )
    show.add_argument("--directory", "-d", type=Path, default=Path("."), help="the run's folder")
    show.add_argument("snakemake_args", nargs="*", help="passed on to snakemake --summary")
    args = parser.parse_args(argv)
    return run_status(args.directory, args.snakemake_args)


if __name__ == "__main__":
    sys.exit(main())
