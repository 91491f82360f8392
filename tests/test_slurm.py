"""The tiny pipeline through ``--profile profiles/slurm`` on a real one-node Slurm.

The test starts slurmctld, slurmd, slurmdbd, munged and MariaDB itself (tests/localslurm.py),
with a ``cpu`` and a ``gpu`` partition, and stops exactly the processes it started. Then
``sacct`` must show every job completed, GPU jobs in ``gpu`` with a GPU allocated, and
CPU jobs in ``cpu`` without one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import write_config
from .localslurm import PACKAGES, ClusterError, LocalSlurm, missing_programs

pytestmark = [pytest.mark.slurm, pytest.mark.workflow]

# rules whose jobs ask for the model's GPUs (workflow/rules/common.smk, model_gpus)
MODEL_RULES = {
    "train_snap",
    "evaluate_model",
    "learning_curve",
    "model_cost",
    "md_check",
    "meltquench_run",
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("a local Slurm needs root (slurmd starts jobs as their users)")
    missing = missing_programs()
    if missing:
        pytest.skip(f"Slurm test cluster needs {', '.join(missing)}: apt-get install {PACKAGES}")
    slurm = LocalSlurm(tmp_path_factory.mktemp("slurm"))
    with slurm:
        yield slurm
    for name, pid in slurm.pids.items():  # exactly the recorded processes, and all gone
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid), f"{name} ({pid}) still runs"


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def sacct(cluster: LocalSlurm) -> list[dict]:
    """One row per job (allocation), all fields as sacct prints them."""
    fields = ["JobID", "JobName", "Partition", "AllocTRES", "State", "Elapsed", "Comment"]
    out = cluster.run("sacct", "-X", "-a", "--parsable2", "--noheader", f"-o{','.join(fields)}")
    return [dict(zip(fields, line.split("|"), strict=True)) for line in out.splitlines() if line]


def test_cluster_routes_gpus_and_refuses_a_gpu_on_the_cpu_partition(cluster):
    log = f"--output={cluster.path('log', 'wrap-%j.out')}"
    out = cluster.run("sbatch", "--parsable", log, "-p", "gpu", "--gpus=1", "--wrap", "true")
    assert out.strip().isdigit()
    with pytest.raises(ClusterError, match="QOSMaxGRESPerJob|accounting/QOS policy"):
        cluster.run("sbatch", log, "-p", "cpu", "--gpus=1", "--wrap", "true")


def slurm_profile(project: Path) -> str:
    """profiles/slurm as a user on this cluster would set it: the account, the node's
    cores, no conda (none here), and a short first status check for a quick test."""
    profile = yaml.safe_load((project / "profiles/slurm/profile.yaml").read_text())
    del profile["software-deployment-method"]
    profile["default-resources"]["slurm_account"] = "mofglass"
    profile.update(
        {
            "cores": os.cpu_count(),
            "latency-wait": 5,
            "slurm-init-seconds-before-status-checks": 5,
        }
    )
    out = project / "profiles" / "slurm-test"
    out.mkdir()
    (out / "profile.yaml").write_text(yaml.safe_dump(profile))
    return str(out.relative_to(project))


def test_tiny_pipeline_rehearsal_runs_through_the_slurm_profile(cluster, project):
    """The CI-sized slice of the paper's rehearsal: the tiny config through the same
    derivation (``mofglass rehearse``), then the profile on a real Slurm to its report,
    which says it is a rehearsal."""
    subprocess.run(
        [str(Path(sys.executable).parent / "mofglass"), "rehearse"]
        + ["--configfile", "config/tiny.yaml", "-o", "rehearsal.yaml"],
        cwd=project,
        check=True,
    )
    rehearsal = yaml.safe_load((project / "rehearsal.yaml").read_text())
    assert rehearsal["rehearsal"]["of"] == "config/tiny.yaml"
    config = write_config(
        project,
        "slurm.yaml",
        "../rehearsal.yaml",
        models__snap__gpus=1,  # SNAP needs none: asked for here to exercise the routing
        # CP2K as config/paper.yaml starts it: an MPI job whose ranks srun starts (PMIx)
        cp2k__ranks=2,
        cp2k__command="srun --mpi=pmix --ntasks={ranks} --cpus-per-task={omp_threads} cp2k.psmp",
    )
    profile = slurm_profile(project)
    before = {row["JobID"] for row in sacct(cluster)}
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "--profile", profile, "--configfile", config],
        cwd=project,
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-6000:]
    assert "A rehearsal of config/tiny.yaml" in (project / "results/report/index.html").read_text()

    rows = [r for r in sacct(cluster) if r["JobID"] not in before]
    rows = [r for r in rows if r["Comment"].startswith("rule_")]  # Snakemake's jobs
    groups = yaml.safe_load((project / profile / "profile.yaml").read_text())["groups"]
    table = "\n".join(
        f"{r['JobID']:>5} {' '.join(sorted(rules_of(r, groups))):28} {r['Partition']:5} "
        f"{'gpu=' + str(gpu_count(r)):6} {r['State']:10} {r['Elapsed']}"
        for r in rows
    )
    print(f"\nsacct, tiny pipeline (job, rules, partition, GPUs, state, elapsed):\n{table}")
    assert rows, "no Slurm job ran"
    assert all(r["State"] == "COMPLETED" for r in rows), table
    ran = set()
    for row in rows:
        rules = rules_of(row, groups)
        assert rules, row
        ran |= rules
        if rules <= MODEL_RULES:
            assert row["Partition"] == "gpu" and gpu_count(row) >= 1, row
        else:
            assert not rules & MODEL_RULES, row
            assert row["Partition"] == "cpu" and gpu_count(row) == 0, row
    assert {"aimd_run", "label_batch", "train_snap", "md_check"} <= ran, table
    # every rule Snakemake sent to Slurm is in the table; the rest ran locally
    local = {"structure", "scale_volume", "pool", "select", "label_requests", "label_merge"}
    local |= {"dataset", "meltquench_verdicts", "report", "all"}
    started = set(re.findall(r"^rule (\w+):", log, re.M)) | set(
        re.findall(r"^\s+rule (\w+):", log, re.M)
    )
    assert started - local <= ran, (started - local - ran, table)
    assert (project / "results/labels/xtb/labelled.extxyz").stat().st_size > 0
    # Slurm's record of every job stays, successful ones included (the profile's logs)
    kept = list((project / "logs/slurm").rglob("*.log"))
    assert len(kept) >= len(rows), (len(kept), len(rows))
    # and mofglass status reads the Slurm run as it reads a local one: all done
    shown = subprocess.run(
        [str(Path(sys.executable).parent / "mofglass"), "status", "--", "--configfile", config],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert shown.returncode == 0, shown.stderr[-3000:]
    assert "no run in progress" in shown.stdout
    assert "running:" not in shown.stdout and "failed:" not in shown.stdout
    done_jobs = re.search(r"(\d+) of (\d+) jobs done", shown.stdout)
    assert done_jobs and done_jobs.group(1) == done_jobs.group(2), shown.stdout


def gpu_count(row: dict) -> int:
    match = re.search(r"gres/gpu=(\d+)", row["AllocTRES"])
    return int(match.group(1)) if match else 0


def rules_of(row: dict, groups: dict[str, str]) -> set[str]:
    """The rules of a Slurm job, from the comment the plugin gives it:
    ``rule_<rule>_wildcards_...``, ``rule_<rule>``, or ``rule_<group>_<rule>_<rule>...``
    for a job group."""
    comment = row["Comment"].removeprefix("rule_")
    for group in set(groups.values()):
        if comment.startswith(f"{group}_"):
            return {r for r, g in groups.items() if g == group and r in comment}
    return {re.sub(r"_wildcards_.*$", "", comment)} if comment else set()


def test_paper_config_plans_through_the_slurm_profile(project):
    """The published pipeline as a cluster user would start it (conda swapped for
    environment modules only because this machine has no conda)."""
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--profile", "profiles/slurm"]
        + ["--sdm", "env-modules", "--configfile", "config/paper.yaml"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    counts = {k: int(v) for k, v in re.findall(r"^(\w+)\s+(\d+)$", done.stdout, re.M)}
    # 4 trained models and Castel et al.'s published NequIP, 5 replicas each (CHGNet
    # fine-tuned runs its MD check only)
    assert counts["aimd_run"] == 9 and counts["meltquench_run"] == 5 * 5, counts
    assert counts["publish_model"] == 1
    assert counts["al_explore"] == 601 and counts["al_train"] == 13  # 50 runs x 12, 0..12
    assert counts["train_family"] == 3  # NequIP, Allegro, CHGNet fine-tuned: a GPU each
    assert done.stdout.count("gpu=1") >= 2 * 5  # train, evaluate, curve, check, cost
    assert "slurm_account=myaccount" in done.stdout  # the profile's defaults reach every job
