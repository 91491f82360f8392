"""The ``mofglass`` command: ``mofglass status`` tells where a run stands, ``mofglass
cost`` what a config's run will cost before it starts (:mod:`mofglass.cost`), and
``mofglass rehearse`` writes a config's rehearsal (:mod:`mofglass.rehearsal`)."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import yaml

from . import cost, measured, rehearsal, status

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


def print_cost(
    directory: Path,
    configfile: Path,
    cluster: cost.Cluster,
    rehearsal: Path | None = None,
    runs_on: str | None = None,
) -> int:
    """Print what the run of ``configfile`` will cost: every job of its DAG (a dry run
    with --forceall, planning only: nothing needs to be installed or to exist) costed
    from the measured unit costs, per stage; with ``rehearsal`` (a finished run's
    folder, its config ``rehearsal-*.yaml`` or ``config.yaml`` there), from the unit
    costs that run measured where it has them (``runs_on``: cpu where its GPU jobs
    computed on the CPU)."""
    dry = _snakemake(directory, "--dry-run", "--forceall", "--configfile", str(configfile))
    out, err = dry.communicate()
    if dry.returncode:
        print(err[-3000:], file=sys.stderr)
        return dry.returncode
    from .config import validate_config

    config = yaml.safe_load((directory / configfile).read_text())
    validate_config(config, WORKFLOW / "schemas/config.schema.yaml")
    jobs = [(job["rule"], job["wildcards"]) for job in status.parse_dry_run(out + err)]
    units = _measured_units(rehearsal, runs_on) if rehearsal else None
    table = cost.table(config, jobs, status.rule_stages(WORKFLOW / "rules"), cluster, units)
    print(cost.render(table, cluster, str(configfile)))
    return 0


def _measured_units(folder: Path, runs_on: str | None) -> dict:
    """The unit costs the run in ``folder`` measured (:mod:`mofglass.measured`)."""
    from .config import validate_config

    found = sorted(folder.glob("rehearsal-*.yaml")) or [folder / "config.yaml"]
    config = validate_config(
        yaml.safe_load(found[0].read_text()), WORKFLOW / "schemas/config.schema.yaml"
    )
    table = measured.jobs(folder, config, WORKFLOW / "rules", runs_on)
    return measured.unit_costs(table, str(folder))


def write_rehearsal(configfile: Path, out: Path, ranks: int | None) -> int:
    """Write the rehearsal of ``configfile`` to ``out`` (see :mod:`mofglass.rehearsal`)."""
    schema = yaml.safe_load((WORKFLOW / "schemas/config.schema.yaml").read_text())
    source = rehearsal.with_defaults(yaml.safe_load(configfile.read_text()), schema)
    derived = rehearsal.derive(source, of=str(configfile), ranks=ranks)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# The rehearsal of {configfile} (mofglass rehearse): the same run with only its\n"
        "# lengths cut, so that every rule runs once at its real sizes. Not results.\n"
    )
    out.write_text(header + yaml.safe_dump(derived, sort_keys=False))
    print(f"wrote {out}: run it with snakemake --configfile {out} (in a folder of its own)")
    return 0


def _parser() -> argparse.ArgumentParser:
    """The command line: ``status``, ``rehearse`` and ``cost``."""
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
    rehearse = commands.add_parser(
        "rehearse",
        help="write a config's rehearsal: every rule once at real sizes, lengths cut",
        description="Write the rehearsal of a config: the same structures, cells, levels "
        "of theory, architectures, ensembles, timesteps and damping, with only the "
        "lengths cut (MD steps, epochs, frames, replicas, iterations, scan points).",
    )
    rehearse.add_argument("--configfile", type=Path, required=True)
    rehearse.add_argument(
        "--out", "-o", type=Path, help="where to write it (default: rehearsal-<name>.yaml)"
    )
    rehearse.add_argument(
        "--ranks", type=int, help="CP2K ranks of the rehearsal's node (default: the config's)"
    )
    _cost_arguments(
        commands.add_parser(
            "cost",
            help="what a config's run will cost, per stage, before it starts",
            description="Core-hours, GPU-hours, memory per job and wall time per stage of "
            "a config's run, from its DAG and the measured unit costs (each listed with "
            "where it was measured). Needs only the main environment.",
        )
    )
    return parser


def _cost_arguments(price: argparse.ArgumentParser) -> None:
    """The ``cost`` command's arguments: the config, the cluster, measured unit costs."""
    price.add_argument("--configfile", type=Path, default=Path("config/config.yaml"))
    price.add_argument("--directory", "-d", type=Path, default=Path("."), help="the project")
    price.add_argument("--nodes", type=int, default=4, help="CPU nodes (default 4)")
    price.add_argument("--cores", type=int, default=128, help="cores per CPU node (128)")
    price.add_argument("--gpu-nodes", type=int, default=2, help="GPU nodes (default 2)")
    price.add_argument("--gpus", type=int, default=4, help="GPUs per GPU node (default 4)")
    price.add_argument(
        "--max-job-h", type=float, default=48.0, help="a partition's longest job (h, 48)"
    )
    price.add_argument(
        "--node-memory-gb", type=float, default=256.0, help="memory of a CPU node (GB, 256)"
    )
    price.add_argument(
        "--gpu-memory-gb", type=float, default=32.0, help="memory of a GPU (GB, 32: a V100)"
    )
    price.add_argument(
        "--measured",
        type=Path,
        help="a finished run's folder (a rehearsal on the site's nodes): its jobs' unit "
        "costs replace the table's where it has them",
    )
    price.add_argument(
        "--measured-on",
        choices=["cpu"],
        help="cpu: that run's GPU jobs computed on the CPU (MOFGLASS_RUNS_ON=cpu)",
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "cost":
        cluster = cost.Cluster(
            args.nodes,
            args.cores,
            args.gpu_nodes,
            args.gpus,
            max_job_h=args.max_job_h,
            node_memory_gb=args.node_memory_gb,
            gpu_memory_gb=args.gpu_memory_gb,
        )
        return print_cost(args.directory, args.configfile, cluster, args.measured, args.measured_on)
    if args.command == "rehearse":
        out = args.out or Path(f"rehearsal-{args.configfile.stem}.yaml")
        return write_rehearsal(args.configfile, out, args.ranks)
    return run_status(args.directory, args.snakemake_args)


if __name__ == "__main__":
    sys.exit(main())
