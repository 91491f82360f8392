"""Cluster requests of each job: wall time (min) and memory (MB), from the cost model.

A scheduler kills a job that outlives its request, and a request far above the need
waits longer in the queue, so each request is the job's expected cost
(:func:`mofglass.cost.job_work`, the same figures ``mofglass cost`` prints) with a
margin: twice the expected wall time plus the start-up, at least ten minutes, and the
expected memory with half again on top. Each retry (``attempt`` 2, 3, ...) doubles the
time and memory, so a job that ran out is resubmitted bigger.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from .cost import Work, memory_mb

SAFETY = 2.0
MEMORY_SAFETY = 1.5
MIN_RUNTIME_MIN = 10
STARTUP_MIN = 2.0  # Python, Snakemake and the program starting, input schemas loaded


def runtime_min(work: Work, attempt: int = 1, limit_min: float | None = None) -> int:
    """Wall time (min) a job asks for: :data:`SAFETY` times its expected wall time plus
    the start-up, at least :data:`MIN_RUNTIME_MIN`, doubled on each retry; at most
    ``limit_min``, the longest job a partition of its kind runs (a longer request fits
    no partition: the Slurm plugin would send it to the default one, where it waits or
    is refused). A job longer than that is killed at the limit and goes on from its
    last restart point on the retry (AIMD chunks, LAMMPS segments):
    :func:`mofglass.cost.table` counts the attempts it needs."""
    minutes = SAFETY * work.wall_seconds() / 60.0 + STARTUP_MIN
    asked = max(MIN_RUNTIME_MIN, math.ceil(minutes * 2 ** (attempt - 1)))
    return asked if limit_min is None or math.isinf(limit_min) else min(asked, int(limit_min))


def memory_request_mb(work: Work, attempt: int = 1, limit_mb: float | None = None) -> int:
    """Memory (MB) a job asks for per process (per CPU for a CP2K job's ranks):
    :data:`MEMORY_SAFETY` times the expected, doubled on each retry, at least 1000; at
    most ``limit_mb``, what a partition of its kind gives (a bigger request is refused
    by Slurm outright: BadConstraints)."""
    asked = max(1000, math.ceil(MEMORY_SAFETY * memory_mb(work) * 2 ** (attempt - 1)))
    return asked if limit_mb is None or math.isinf(limit_mb) else min(asked, int(limit_mb))


def granted_memory_mb(requested: Mapping | None = None) -> float:
    """Memory (MB) this job may use: the machine's, or less in a Slurm job: what Slurm
    granted, from its variables (``SLURM_MEM_PER_NODE``, or ``SLURM_MEM_PER_CPU`` times
    its CPUs on the node) or, where Snakemake's job step removed them (it keeps only
    ``SLURM_JOB_ID``), the job's ``requested`` resources (Snakemake's, capped at the
    partition as they were submitted: ``mem_mb_per_cpu`` times ``tasks`` before
    ``mem_mb``, as the Slurm plugin asks); Slurm grants a request whole or not at all."""
    env = os.environ
    machine = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    requested = requested or {}
    if env.get("SLURM_MEM_PER_NODE"):
        granted = float(env["SLURM_MEM_PER_NODE"])
    elif env.get("SLURM_MEM_PER_CPU"):
        granted = float(env["SLURM_MEM_PER_CPU"]) * int(env.get("SLURM_CPUS_ON_NODE", "1"))
    elif env.get("SLURM_JOB_ID") and requested.get("mem_mb_per_cpu"):
        cpus = int(requested.get("tasks") or 1) * int(requested.get("cpus_per_task") or 1)
        granted = float(requested["mem_mb_per_cpu"]) * cpus
    elif env.get("SLURM_JOB_ID") and requested.get("mem_mb"):
        granted = float(requested["mem_mb"])
    else:
        granted = machine
    return min(granted, machine)


def too_big(need_mb: float, what: str, granted_mb: float | None = None) -> str | None:
    """Why ``what`` (expected to need ``need_mb`` MB) cannot run in this job's memory
    (``granted_mb``, default :func:`granted_memory_mb`), or None: started, it would be
    killed, or take the node down, after its hours of work."""
    granted = granted_memory_mb() if granted_mb is None else granted_mb
    if need_mb <= granted:
        return None
    return (
        f"{what} needs about {need_mb / 1024:.1f} GB; this job has {granted / 1024:.1f} GB: "
        "give it a node that holds it"
    )


#: The environment variable that names the profile's partition file to a job's own
#: Snakemake (``workflow/rules/common.smk``), whose job step knows no profile.
PARTITIONS_VARIABLE = "SNAKEMAKE_SLURM_PARTITIONS"


def pass_on_partitions(path: str | Path) -> None:
    """Name the partition file to the jobs this process submits (sbatch passes its
    environment on, and Snakemake's job step keeps ``SNAKEMAKE_*``), so a job's own
    Snakemake caps its requests as the submitting one did, and the job reads what it
    was granted (:func:`granted_memory_mb`)."""
    os.environ[PARTITIONS_VARIABLE] = str(Path(path).resolve())


@cache
def partition_limits(path: str | Path) -> dict[str, dict[str, float]]:
    """What the site's partitions allow a job, for CPU jobs and for GPU jobs: the longest
    run (``runtime``, min) and the most memory (``mem_mb`` a job, ``mem_mb_per_cpu``),
    each the largest over the partitions of that kind, from the Slurm plugin's
    partition file (read by the plugin's own reader, once per file: every job's request
    asks); ``inf`` where none is given. Do not change the returned mapping."""
    from snakemake_executor_plugin_slurm.partitions import read_partition_file

    fields = {
        "runtime": "max_runtime",
        "mem_mb": "max_mem_mb",
        "mem_mb_per_cpu": "max_mem_mb_per_cpu",
    }
    out = {kind: dict.fromkeys(fields, 0.0) for kind in ("cpu", "gpu")}
    for partition in read_partition_file(Path(path)):
        kind = "gpu" if partition.limits.max_gpu > 0 else "cpu"
        for key, name in fields.items():
            out[kind][key] = max(out[kind][key], getattr(partition.limits, name))
    return {
        kind: {key: value or math.inf for key, value in limits.items()}
        for kind, limits in out.items()
    }
