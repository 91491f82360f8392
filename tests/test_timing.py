"""Where a job's time goes: science sections, the LAMMPS wrapper, the line each job's
log ends with, and the overhead bench that sums those lines."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time

import pytest

from mofglass import timing

from .conftest import REPO


def test_a_nested_section_counts_for_the_outer_code_only():
    before = timing.spent()
    start = time.perf_counter()
    with timing.science("training-test"):
        time.sleep(0.05)
        with timing.science("lammps-test"):
            time.sleep(0.05)
    elapsed = time.perf_counter() - start
    after = timing.spent()
    assert "lammps-test" not in after
    gained = after["training-test"] - before.get("training-test", 0.0)
    assert 0.1 <= gained <= elapsed


JOB = """
import time
from mofglass.logs import setup_logging
from mofglass.lammps import new_lammps
setup_logging({log!r})
setup_logging({log!r})  # set up twice: still one summary line
time.sleep(0.3)  # outside any science code
lmp = new_lammps()
lmp.commands_string('''units lj
lattice fcc 0.8442
region box block 0 6 0 6 0 6
create_box 1 box
create_atoms 1 box
mass 1 1.0
velocity all create 1.44 87287 loop geom
pair_style lj/cut 2.5
pair_coeff 1 1 1.0 1.0 2.5
fix 1 all nve''')
start = time.perf_counter()
lmp.command("run 2000")
print(time.perf_counter() - start)
lmp.close()
"""


@pytest.mark.lammps
def test_a_job_log_ends_with_its_time_in_lammps_and_outside(tmp_path):
    """A job that sleeps 0.3 s and runs LAMMPS: its log's last line gives the LAMMPS
    time (at least the run's own, timed around the call) and the rest of its life."""
    log = tmp_path / "job.log"
    out = subprocess.run(
        [sys.executable, "-c", JOB.format(log=str(log))], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    run_s = float(out.stdout.split()[-1])
    last = log.read_text().strip().splitlines()[-1]
    assert log.read_text().count("time in science codes") == 1
    overhead = _bench("overhead")
    (match,) = [m for m in [overhead.LINE.search(last)] if m]
    codes = dict(overhead._codes(match["codes"]))
    assert set(codes) == {"lammps"}
    assert run_s - 0.005 <= codes["lammps"] < run_s + 0.5  # the line rounds to 0.01 s
    outside = float(last.split("outside them ")[1].split()[0])
    assert outside >= 0.3  # the sleep, the interpreter's start and the imports
    assert float(match["job"]) == pytest.approx(codes["lammps"] + outside, abs=0.02)


def test_the_overhead_bench_sums_job_logs_against_the_dag(tmp_path):
    """Two jobs (10 s with 6 s of LAMMPS, 4 s with 1 s of CP2K) in a 10 s DAG on 2
    cores: 20 core-seconds, 7 s outside the science codes, 6 core-seconds idle."""
    logs = tmp_path / "logs" / "stage"
    logs.mkdir(parents=True)
    (logs / "a.log").write_text(
        "x INFO mofglass: time in science codes: lammps 6.00 s; the job 10.00 s, outside them"
        " 4.00 s\n"
    )
    (logs / "b.log").write_text(
        "x INFO mofglass: time in science codes: cp2k 1.00 s; the job 4.00 s, outside them 3.00 s\n"
    )
    (tmp_path / "logs" / "killed.log").write_text("started\n")
    snakelog = tmp_path / ".snakemake" / "log"
    snakelog.mkdir(parents=True)
    (snakelog / "2026-12-03T100000.snakemake.log").write_text(
        "[Thu Dec  3 10:00:00 2026]\nrule a:\n[Thu Dec  3 10:00:10 2026]\nFinished job 0.\n"
    )
    found = _bench("overhead").overhead(tmp_path, cores=2)
    assert found["jobs"] == 2 and found["logs_without_summary"] == 1
    assert found["dag_wall_s"] == 10.0 and found["core_s"] == 20.0
    assert found["science_lammps_s"] == 6.0 and found["science_cp2k_s"] == 1.0
    assert found["outside_science_s"] == pytest.approx(7.0)
    assert found["overhead_fraction"] == pytest.approx(7.0 / 20.0)
    assert found["idle_fraction"] == pytest.approx(6.0 / 20.0)


def _bench(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
