"""The rehearsal of a config, run through ``profiles/slurm`` on a real one-node Slurm.

Copies the project's code into ``--dir`` (again on every run: finished jobs stay
finished), writes the rehearsal of ``--configfile``
there (``mofglass rehearse``; CP2K ranks from ``--ranks``), starts a local Slurm with a
``cpu`` and a ``gpu`` partition (``tests/localslurm.py``: root, Debian's slurm-wlm,
munge and MariaDB), and runs the profile with the site's two settings made (account,
no conda on this machine). Resumable: run the same command again and Snakemake goes
on from the jobs done. The run's log is ``<dir>/rehearsal.log``.

    .venv/bin/python bench/rehearse_on_slurm.py --configfile config/paper.yaml \\
        --dir /tmp/rehearsal-paper --ranks 2

After it, ``<dir>/benchmarks/`` holds every job's measured wall time and memory
(Snakemake's benchmark files), ``<dir>/results/report/index.html`` the report and,
beside it, ``cost.md``: what the full config will cost, priced with the unit costs the
rehearsal measured (``mofglass cost --measured``) where it has them. Snakemake targets
after ``--`` run a part of the rehearsal first.

A job whose expected memory (the cost model's, :func:`mofglass.cost.job_memory_mb`) is
more than this node has is left out with everything after it (``--omit-from``): on a
machine without a memory limit per job it would take the node down, not fail alone.
``<dir>/beyond_node.tsv`` lists them (rule, output, GB needed, GB the node has); the
rules that size themselves (:data:`mofglass.cost.SELF_SIZED`) run, and write which of
their parts did not fit.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

sys.path.insert(0, str(REPO / "src"))

from mofglass import cost, status  # noqa: E402
from mofglass.config import validate_config  # noqa: E402
from tests.localslurm import ACCOUNT, LocalSlurm, missing_programs  # noqa: E402

COPIED = ("workflow", "config", "src", "profiles", "pyproject.toml")


def prepare(directory: Path, configfile: Path, ranks: int | None) -> Path:
    """The project copy with its rehearsal config and a profile for this cluster."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in COPIED:  # this checkout's code, refreshed on every run
        src, dst = REPO / name, directory / name
        if src.is_dir():
            shutil.copytree(
                src, dst, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True
            )
        else:
            shutil.copy(src, dst)
    for name in (".venv", ".venvs"):
        if not (directory / name).exists():
            (directory / name).symlink_to(REPO / name)
    rehearsal = directory / f"rehearsal-{configfile.stem}.yaml"
    if not rehearsal.exists():
        subprocess.run(
            [REPO / ".venv/bin/mofglass", "rehearse", "--configfile", configfile.resolve()]
            + ["-o", rehearsal]
            + (["--ranks", str(ranks)] if ranks else []),
            check=True,
        )
    profile = yaml.safe_load((REPO / "profiles/slurm/profile.yaml").read_text())
    del profile["software-deployment-method"]  # no conda here: the install's environments
    profile["default-resources"]["slurm_account"] = ACCOUNT
    profile["cores"] = os.cpu_count()
    # one node: the jobs of a group (profile.yaml's `groups`) run side by side only as
    # far as its memory goes, one after another beyond it (Snakemake's group layers)
    profile["resources"] = [f"mem_mb={node_memory_mb()}"]
    out = directory / "profiles/slurm-here"
    out.mkdir(parents=True, exist_ok=True)
    # the site's partitions: this node's memory and cores (the two SITE places)
    partitions = yaml.safe_load((REPO / "profiles/slurm/partitions.yaml").read_text())
    for limits in partitions["partitions"].values():
        limits.update(max_mem_mb=node_memory_mb(), max_threads=os.cpu_count())
    (out / "partitions.yaml").write_text(yaml.safe_dump(partitions, sort_keys=False))
    profile["slurm-partition-config"] = str(out / "partitions.yaml")
    (out / "profile.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return rehearsal


def node_memory_mb() -> int:
    """The memory (MB) the local Slurm gives its node: 85 % of this machine's
    (tests/localslurm.py), a little less to stay inside it."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    return int(total * 0.85 * 0.98)


def beyond_node(directory: Path, rehearsal: Path) -> list[str]:
    """The first output of every job of the rehearsal's DAG that needs more memory than
    this node has and does not size itself, from a dry run there; every job beyond the
    node is written to ``<dir>/beyond_node.tsv``."""
    dry = subprocess.run(
        [REPO / ".venv/bin/snakemake", "-n", "--forceall", "--nolock", "--rerun-incomplete"]
        + ["--configfile", rehearsal.name],
        cwd=directory,
        capture_output=True,
        text=True,
        check=True,
    )
    config = validate_config(
        yaml.safe_load(rehearsal.read_text()), REPO / "workflow/schemas/config.schema.yaml"
    )
    node_gb = node_memory_mb() / 1024
    rows = ["rule\toutput\tneeds_GB\tnode_GB"]
    outputs = []
    for job in status.parse_dry_run(dry.stdout + dry.stderr):
        if not job["outputs"]:
            continue
        need_gb = cost.job_memory_mb(cost.job_work(config, job["rule"], job["wildcards"])) / 1024
        if need_gb > node_gb:
            if job["rule"] not in cost.SELF_SIZED:
                outputs.append(job["outputs"][0])
            rows.append(f"{job['rule']}\t{job['outputs'][0]}\t{need_gb:.1f}\t{node_gb:.1f}")
    (directory / "beyond_node.tsv").write_text("\n".join(rows) + "\n")
    return outputs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configfile", type=Path, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--ranks", type=int)
    parser.add_argument("snakemake_args", nargs="*", help="after --, passed to snakemake")
    args = parser.parse_args()
    missing = missing_programs()
    if missing:
        sys.exit(f"a local Slurm needs {', '.join(missing)}")
    directory = args.dir.resolve()
    rehearsal = prepare(directory, args.configfile, args.ranks)
    omitted = beyond_node(directory, rehearsal)
    start = time.monotonic()
    # a stopped run's queued jobs would run its old job steps beside the new ones:
    # Slurm starts empty, and Snakemake submits again whatever is not done
    shutil.rmtree(directory / "slurm" / "state", ignore_errors=True)
    with LocalSlurm(directory / "slurm") as cluster, open(directory / "rehearsal.log", "a") as log:
        command = [
            str(REPO / ".venv/bin/snakemake"),
            *args.snakemake_args,  # before --configfile, which takes every name after it
            *(["--omit-from", *omitted] if omitted else []),
            "--profile",
            "profiles/slurm-here",
            "--configfile",
            rehearsal.name,
        ]
        log.write(f"\n# {time.strftime('%F %T')}: {' '.join(command)}\n")
        log.flush()
        # the cluster's GPUs are Slurm's dummy devices: GPU jobs compute on the CPU, and
        # are given the time the CPU takes
        env = {**cluster.env, "MOFGLASS_RUNS_ON": "cpu"}
        run = subprocess.Popen(command, cwd=directory, env=env, stdout=log, stderr=log)
        # stopped (SIGTERM, Ctrl-C): Snakemake cancels its Slurm jobs, then the cluster
        # stops; rerunning the command goes on from the jobs done
        signal.signal(signal.SIGTERM, lambda *_: run.send_signal(signal.SIGINT))
        try:
            code = run.wait()
        except KeyboardInterrupt:
            run.send_signal(signal.SIGINT)
            code = run.wait()
        log.write(f"# exit {code} after {time.monotonic() - start:.0f} s\n")
    write_cost(directory, args.configfile)
    return code


def write_cost(directory: Path, configfile: Path) -> None:
    """What the full config will cost, priced with the unit costs this rehearsal has
    measured so far (its GPU jobs ran on the CPU), beside its report."""
    priced = subprocess.run(
        [REPO / ".venv/bin/mofglass", "cost", "--configfile", configfile.resolve()]
        + ["--measured", directory, "--measured-on", "cpu"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    out = directory / "results/report/cost.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(priced.stdout or priced.stderr)


if __name__ == "__main__":
    sys.exit(main())
