"""Cluster requests estimated from the config (mofglass.resources)."""

from __future__ import annotations

import math

import pytest
import yaml

from mofglass import cost
from mofglass import resources as res
from mofglass.config import validate_config

from .conftest import REPO


def test_requests_are_the_expected_cost_with_margins():
    """Twice the expected wall time plus the start-up, at least ten minutes; half again
    on the expected memory; both doubled on a retry."""
    xtb = res.Work("cp2k/gfn1-xtb/single_point", 272, 2, cores=2)
    dft = res.Work("cp2k/pbe-d3/single_point", 272, 12, cores=2)
    table = yaml.safe_load(cost.UNIT_COSTS.read_text())["units"]
    per_atom = table["cp2k/pbe-d3/single_point"]["cpu"]["value"]  # core-s per atom
    expected = per_atom * 272 * 12 / 2 / 60.0  # min on 2 cores
    assert res.runtime_min(dft) == math.ceil(res.SAFETY * expected + res.STARTUP_MIN)
    assert res.runtime_min(dft, attempt=2) == math.ceil(2 * (res.SAFETY * expected + 2.0))
    assert res.runtime_min(xtb) == res.MIN_RUNTIME_MIN < res.runtime_min(dft)
    big = res.Work("cp2k/pbe-d3/single_point", 2176, 1, cores=2)
    assert res.memory_request_mb(big) > res.memory_request_mb(dft)
    assert res.memory_request_mb(big, attempt=3) == 4 * res.memory_request_mb(big)


def test_the_measured_xtb_aimd_fits_in_its_request():
    # bench/README.md: 12 steps of 272-atom ZIF-4 took 165 s on one core
    aimd = res.Work(
        "cp2k/gfn1-xtb/single_point", 272, 1, extra=(("cp2k/gfn1-xtb/md_step", 272, 11),)
    )
    assert res.runtime_min(aimd) * 60 > 165


@pytest.fixture
def paper():
    config = yaml.safe_load((REPO / "config/paper.yaml").read_text())
    return validate_config(config, REPO / "workflow/schemas/config.schema.yaml")


def test_md_steps_follow_the_protocols(paper):
    # Castel et al.: 300 -> 1500 K at 20 K/ps twice, 50 ps plateau, 100 ps final, 0.5 fs
    mq = paper["meltquench"]
    ps = mq["equilibration_ps"] + 60 + 50 + 60 + 100
    assert cost.meltquench_steps(mq) == pytest.approx(ps * 2000, abs=5)
    check = {"stages": [{"name": "a", "ensemble": "nvt", "temperature_K": 300, "steps": 200}]}
    assert cost.protocol_steps(check) == 200
    melt = cost.job_work(paper, "meltquench_run", {"model": "snap", "replica": "0"})
    assert (melt.atoms, melt.count) == (2176, cost.meltquench_steps(mq))
    assert res.runtime_min(melt) > 60


def test_model_gpus_default_by_family_and_override():
    assert cost.model_gpus({"type": "snap"}) == 0
    assert cost.model_gpus({"type": "snap", "gpus": None}) == 0
    assert cost.model_gpus({"type": "snap", "gpus": 2}) == 2
    assert cost.model_gpus({"type": "nequip"}) == 1


def test_a_request_never_asks_for_more_than_a_partition_runs(tmp_path):
    """The profile's partitions (read by the Slurm plugin's reader): the longest CPU
    and GPU jobs; a longer job asks for the limit and goes on at its retry."""
    limits = res.partition_limits(REPO / "profiles/slurm/partitions.yaml")
    assert limits["cpu"]["runtime"] == limits["gpu"]["runtime"] == 2 * 24 * 60
    assert math.isinf(limits["cpu"]["mem_mb"])  # the shipped file names no memory: SITE
    (tmp_path / "p.yaml").write_text(
        "partitions:\n  short: {max_runtime: '6h', max_mem_mb: 64000}\n"
        "  long: {max_runtime: '1-12:00:00', max_mem_mb: 20000}\n"
        "  g: {max_gpu: 2, max_runtime: 90, max_mem_mb_per_cpu: 4000}\n"
    )
    limits = res.partition_limits(tmp_path / "p.yaml")
    assert (limits["cpu"]["runtime"], limits["gpu"]["runtime"]) == (36 * 60, 90)
    assert (limits["cpu"]["mem_mb"], limits["gpu"]["mem_mb_per_cpu"]) == (64000, 4000)
    week = res.Work("cp2k/pbe-d3/md_step", 272, 2_000_000, cores=64)
    assert res.runtime_min(week) > 36 * 60
    assert res.runtime_min(week, attempt=2, limit_min=36 * 60) == 36 * 60
    short = res.Work("cp2k/pbe-d3/md_step", 272, 10, cores=64)
    assert res.runtime_min(short, limit_min=36 * 60) == res.runtime_min(short)
    # a retry's doubled memory never asks for more than the node has (Slurm would
    # refuse it outright: the rehearsal's AIMD retries were BadConstraints)
    big = res.Work("cp2k/pbe-d3/single_point", 2176, 1, cores=2)
    assert res.memory_request_mb(big, attempt=3) > 20000
    assert res.memory_request_mb(big, attempt=3, limit_mb=20000) == 20000
