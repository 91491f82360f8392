"""What a run will cost (mofglass.cost): work from the config times unit costs."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from mofglass import cost, status
from mofglass import resources as res
from mofglass.config import validate_config

from .conftest import REPO

TABLE = yaml.safe_load(cost.UNIT_COSTS.read_text())


def value(key: str, device: str = "cpu") -> float:
    return TABLE["units"][key][device]["value"]


@pytest.fixture
def paper():
    config = yaml.safe_load((REPO / "config/paper.yaml").read_text())
    return validate_config(config, REPO / "workflow/schemas/config.schema.yaml")


def test_every_unit_cost_says_where_it_comes_from():
    for key, devices in TABLE["units"].items():
        for device, row in devices.items():
            assert device in ("cpu", "gpu"), key
            assert row["status"] in ("measured", "published", "estimate"), key
            assert len(row["source"]) > 20 and row["value"] > 0 and row["atoms"] > 0, key
            assert row["unit"] in ("core-s per atom", "µs per atom"), key


def test_an_aimd_run_is_its_first_single_point_and_its_md_steps(paper):
    """The paper's AIMD run: 272 atoms, 110 000 steps of PBE-D3 on 64 ranks, costed by
    hand from the table: one single point from the atomic guess, then MD steps."""
    work = cost.job_work(paper, "aimd_run", {"structure": "ZIF-4", "temperature": "1500"})
    core_s = 272 * (value("cp2k/pbe-d3/single_point") + 110_000 * value("cp2k/pbe-d3/md_step"))
    assert work.device_seconds() == pytest.approx(core_s)
    assert work.wall_seconds() == pytest.approx(core_s / 64)
    # Castel et al.: 100 ps of 272 atoms in 4 days on 160 cores, so 55 ps in 2.2 days;
    # the step measured here on 2 ranks is within a factor of two of theirs
    castel = 0.55 * 4 * 24 * 160
    assert 0.5 < work.device_seconds() / 3600 / castel < 2.0


def test_md_on_a_gpu_uses_the_gpu_figure_or_says_it_has_none(paper):
    melt = cost.job_work(paper, "meltquench_run", {"model": "nequip", "replica": "0"})
    assert (melt.device, melt.gpus, melt.atoms) == ("gpu", 1, 2176)
    steps = cost.meltquench_steps(paper["meltquench"])
    assert melt.device_seconds() == pytest.approx(value("md/nequip", "gpu") * 1e-6 * 2176 * steps)
    tuned = cost.job_work(paper, "meltquench_run", {"model": "chgnet_ft", "replica": "0"})
    assert cost.unit(tuned.key, tuned.device).status == "no GPU figure: CPU's"


def test_a_per_atom_cost_scales_with_its_exponent():
    quadratic = cost.Unit("k", "cpu", 2.0, "core-s per atom", 100, "estimate", "x", 2.0)
    linear = cost.Unit("k", "cpu", 2.0, "core-s per atom", 100, "estimate", "x")
    assert quadratic.per_atom(400) == pytest.approx(8.0)
    assert linear.per_atom(400) == pytest.approx(2.0)


def test_a_cp2k_ranks_share_of_the_memory(paper):
    aimd = cost.job_work(paper, "aimd_run", {"structure": "ZIF-4"})
    row = TABLE["memory"]["cp2k/pbe-d3"]
    assert cost.memory_mb(aimd) == pytest.approx(row["fixed_mb"] + row["per_atom_mb"] * 272 / 64)


def test_jobs_bigger_than_a_node_are_named_with_their_memory(paper):
    """A glass of 2176 atoms at PBE-D3 and a 272-atom AIMD run, each on its ranks, by
    hand from the memory table, against a node between the two and one above both."""
    row = TABLE["memory"]["cp2k/pbe-d3"]
    check = cost.job_work(paper, "glass_check", {"model": "nequip"})
    aimd = cost.job_work(paper, "aimd_run", {"structure": "ZIF-4"})
    need_gb = (row["fixed_mb"] * check.cores + row["per_atom_mb"] * 2176) / 1024
    aimd_gb = (row["fixed_mb"] * aimd.cores + row["per_atom_mb"] * 272) / 1024
    assert cost.job_memory_mb(check) / 1024 == pytest.approx(need_gb)
    assert cost.job_memory_mb(aimd) / 1024 == pytest.approx(aimd_gb) and aimd_gb < need_gb
    jobs = [("glass_check", {"model": "nequip"}), ("aimd_run", {"structure": "ZIF-4"})]
    stages = {"glass_check": "cross_check", "aimd_run": "aimd"}
    between = cost.Cluster(node_memory_gb=(aimd_gb + need_gb) / 2)
    small = cost.table(paper, jobs, stages, between).set_index("stage")
    said = f"glass_check (1 jobs, up to {need_gb:.0f} GB)"
    assert small.loc["cross_check", "over_memory"] == said
    assert small.loc["aimd", "over_memory"] == ""
    assert "more memory than a node gives" in cost.render(small.reset_index(), between, "x")
    big = cost.table(paper, jobs, stages, cost.Cluster(node_memory_gb=2 * need_gb))
    assert big["over_memory"].eq("").all()


def test_the_dry_run_is_read_into_rules_and_wildcards():
    text = (
        "rule aimd_run:\n    input: a\n    wildcards: structure=ZIF-4, temperature=1500, "
        "volume=0.900\n    resources: tmpdir=/tmp\n\nlocalrule report:\n    output: b\n"
    )
    jobs = [(job["rule"], job["wildcards"]) for job in status.parse_dry_run(text)]
    assert jobs == [
        ("aimd_run", {"structure": "ZIF-4", "temperature": "1500", "volume": "0.900"}),
        ("report", {}),
    ]


def test_the_table_sums_stages_and_takes_the_longest_job(paper):
    jobs = [("aimd_run", {"structure": "ZIF-4"})] * 3 + [("report", {})]
    cluster = cost.Cluster(nodes=1, cores=64, gpu_nodes=1, gpus=1)
    out = cost.table(paper, jobs, {"aimd_run": "aimd", "report": "report"}, cluster)
    aimd = out.set_index("stage").loc["aimd"]
    one = cost.job_work(paper, "aimd_run", {"structure": "ZIF-4"}).device_seconds() / 3600
    assert aimd.jobs == 3 and aimd.core_h == pytest.approx(3 * one)
    # one node of 64 cores runs one 64-rank job at a time: three in a row
    assert aimd.wall_h == pytest.approx(3 * one / 64)
    text = cost.render(out, cluster, "config/paper.yaml")
    assert "| aimd | 3 |" in text
    assert f"cp2k/pbe-d3/md_step (cpu): {value('cp2k/pbe-d3/md_step'):g}" in text


def test_jobs_longer_than_a_partition_runs_are_named_with_their_attempts(paper):
    """The paper's AIMD run (days on 64 ranks) against a 48 h partition: its attempts,
    each going on from the last CP2K chunk; a NequIP fit from its last epoch."""
    one = cost.job_work(paper, "aimd_run", {"structure": "ZIF-4"}).wall_seconds() / 3600
    jobs = [("aimd_run", {"structure": "ZIF-4"}), ("train_family", {"model": "nequip"})]
    stages = {"aimd_run": "aimd", "train_family": "train"}
    out = cost.table(paper, jobs, stages, cost.Cluster(max_job_h=48.0)).set_index("stage")
    attempts = -(-one // 48)
    assert attempts >= 2
    assert (
        out.loc["aimd", "over_limit"]
        == f"aimd_run (1 jobs, up to {attempts:.0f} attempts if it runs in LAMMPS or CP2K)"
    )
    nequip = cost.job_work(paper, "train_family", {"model": "nequip"}).wall_seconds() / 3600
    said = "attempts from its last epoch's checkpoint"
    assert (nequip > 48) == (said in out.loc["train", "over_limit"])
    assert cost.table(paper, jobs, stages, cost.Cluster(max_job_h=1e9))["over_limit"].eq("").all()


def test_gpu_jobs_on_dummy_gpus_are_costed_as_the_cpu_jobs_they_are(paper, monkeypatch):
    monkeypatch.setenv(cost.RUNS_ON, "cpu")
    melt = cost.job_work(paper, "meltquench_run", {"model": "nequip", "replica": "0"})
    assert (melt.device, melt.gpus) == ("cpu", 1)  # still routed to a GPU
    steps = cost.meltquench_steps(paper["meltquench"])
    assert melt.device_seconds() == pytest.approx(value("md/nequip") * 1e-6 * 2176 * steps)


def test_a_runs_benchmarks_become_unit_costs_that_price_the_full_config(
    paper, tmp_path, monkeypatch
):
    """Three melt-quench replicas of NequIP on the CPU (a rehearsal's dummy GPUs), as
    Snakemake's benchmark files say: each wall time over its atoms and steps is the
    unit cost, their median the run's figure; a job of under 5 s is listed, not used."""
    from mofglass import measured

    steps = cost.meltquench_steps(paper["meltquench"])
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    for replica, wall in ((0, 1000.0), (1, 1300.0), (2, 1.0)):
        tsv = tmp_path / f"benchmarks/meltquench/nequip/replica{replica}.tsv"
        tsv.parent.mkdir(parents=True, exist_ok=True)
        tsv.write_text(header + f"{wall}\t0:00:00\t9000\t0\t0\t0\t0\t0\t100\t{wall}\n")
    jobs = measured.jobs(tmp_path, paper, REPO / "workflow/rules", runs_on="cpu")
    assert sorted(jobs["job"]) == [f"model=nequip,replica={r}" for r in range(3)]
    assert set(jobs["key"]) == {"md/nequip"} and set(jobs["device"]) == {"cpu"}
    units = measured.unit_costs(jobs, "a rehearsal")
    found = units["md/nequip", "cpu"]
    assert found.value == pytest.approx(1150.0 / (2176 * steps) * 1e6)  # µs per atom per step
    assert found.atoms == 2176 and found.status.startswith("measured by a rehearsal")
    # priced with it: the same job costs what was measured, on the CPU the run had
    monkeypatch.setenv(cost.RUNS_ON, "cpu")
    melt = cost.job_work(paper, "meltquench_run", {"model": "nequip", "replica": "0"})
    assert melt.device_seconds(units) == pytest.approx(1150.0)
    assert melt.device_seconds() != pytest.approx(1150.0)  # the table's figure otherwise
    # and not where the run measured nothing: the GPU figure stays the table's
    monkeypatch.delenv(cost.RUNS_ON)
    on_gpu = cost.job_work(paper, "meltquench_run", {"model": "nequip", "replica": "0"})
    assert on_gpu.device_seconds(units) == pytest.approx(on_gpu.device_seconds())


def test_the_cost_job_holds_its_largest_cell_at_once_not_their_sum(paper):
    """The paper's cost stage runs 1x1x1, 2x2x2 and 3x3x3 cells one after another: its
    time is the sum of the three runs, its memory the 3x3x3 cell's."""
    work = cost.job_work(paper, "model_cost", {"model": "nequip"})
    steps = paper["md"]["cost"]["steps"]
    assert work.device_seconds() == pytest.approx(
        value("md/nequip", "gpu") * 1e-6 * 272 * (1 + 8 + 27) * steps
    )
    row = TABLE["memory"]["md/nequip"]
    assert cost.memory_mb(work) == pytest.approx(row["fixed_mb"] + row["per_atom_mb"] * 272 * 27)


def test_a_fit_is_its_training_passes_and_a_forward_pass_of_its_validation_each_epoch(paper):
    """NequIP on the production set (2500 training frames, 10 000 validation frames,
    1000 epochs, 272 atoms): the training frames' passes at the training figure, the
    validation frames' at the model's MD (forward) figure, every epoch."""
    work = cost.job_work(paper, "train_family", {"model": "nequip"})
    expected = (
        272 * 1000 * (2500 * value("train/nequip", "gpu") + 10_000 * value("md/nequip", "gpu"))
    )
    assert work.device_seconds() == pytest.approx(expected * 1e-6)


def test_an_aimd_runs_benchmark_measures_its_steps_after_its_first_single_point(paper, tmp_path):
    """An AIMD run of 8 steps that took 1000 s on 2 ranks: its first single point is
    taken at the table's figure, the rest of its core-seconds are its 8 steps."""
    from mofglass import measured

    paper["aimd"]["steps"], paper["cp2k"]["ranks"] = 8, 2
    tsv = tmp_path / "benchmarks/aimd/ZIF-4/T1500_V0.900.tsv"
    tsv.parent.mkdir(parents=True)
    tsv.write_text("s\tmax_rss\n1000.0\t3700\n")
    jobs = measured.jobs(tmp_path, paper, REPO / "workflow/rules")
    (row,) = jobs.itertuples()
    assert row.key == "cp2k/pbe-d3/md_step" and row.evaluations == 8
    first = 272 * value("cp2k/pbe-d3/single_point")
    assert row.measured_per_atom == pytest.approx((2 * 1000.0 - first) / (272 * 8))


def test_a_fit_asks_for_its_familys_training_memory(paper):
    """Allegro's fit holds a batch of 272-atom frames and their gradients (12 GB in the
    rehearsal): its job is sized by the family's training row, not by an MD process's."""
    work = cost.job_work(paper, "train_family", {"model": "allegro"})
    row = TABLE["memory"]["train/allegro"]
    assert cost.memory_mb(work) == pytest.approx(row["fixed_mb"] + row["per_atom_mb"] * 272)
    assert cost.memory_mb(work) > 2 * cost.memory_mb(
        cost.job_work(paper, "md_check", {"model": "allegro"})
    )


def test_a_snaps_md_is_costed_at_its_bispectrum_order(paper):
    """The paper's SNAP (2J = 8) runs at its own measured figure, not the default's
    2J = 6 one, and its memory is SNAP's."""
    work = cost.job_work(paper, "md_check", {"model": "snap"})
    assert paper["models"]["snap"]["snap"]["twojmax"] == 8
    assert work.key == "md/snap/2j8"
    assert cost.unit(work.key, "cpu").value == value("md/snap/2j8") != value("md/snap")
    row = TABLE["memory"]["md/snap"]
    assert cost.memory_mb(work) == pytest.approx(row["fixed_mb"] + row["per_atom_mb"] * work.atoms)


def test_a_labelling_jobs_benchmark_is_listed_but_gives_no_unit_cost(paper, tmp_path):
    """A loop's labelling job is costed as a full batch of 20 single points; one that
    labelled a single frame would give a twentieth of the cost: it is kept as a row,
    and the single point keeps the table's figure."""
    from mofglass import measured

    tsv = tmp_path / "benchmarks/active_learning/snap_al/iter001/label0000.tsv"
    tsv.parent.mkdir(parents=True)
    tsv.write_text("s\tmax_rss\n600.0\t400\n")
    jobs = measured.jobs(tmp_path, paper, REPO / "workflow/rules")
    assert list(jobs["rule"]) == ["al_label"]
    assert measured.unit_costs(jobs, "a rehearsal") == {}


def test_a_job_that_sizes_itself_gives_no_unit_cost(paper, tmp_path):
    """The cost stage of Castel et al.'s NequIP that left its 7344-atom cell out (beyond
    the job's memory) would price its MD at a quarter of its cost: listed, not used; an
    MD check beside it gives its unit."""
    from mofglass import measured

    for path, seconds in (("models/castel_nequip/cost", 300.0), ("md/nequip/check", 60.0)):
        tsv = tmp_path / f"benchmarks/{path}.tsv"
        tsv.parent.mkdir(parents=True, exist_ok=True)
        tsv.write_text(f"s\tmax_rss\n{seconds}\t400\n")
    jobs = measured.jobs(tmp_path, paper, REPO / "workflow/rules")
    assert sorted(jobs["rule"]) == ["md_check", "model_cost"]
    units = measured.unit_costs(jobs, "a rehearsal")
    assert {key for key, _ in units} == {"md/nequip"}


def test_the_cost_stage_cells_memory_by_hand(paper):
    """Each cell of the paper's cost stage (1x1x1, 2x2x2, 3x3x3 of 272 atoms), NequIP's
    MD memory from the table."""
    row = TABLE["memory"]["md/nequip"]
    expected = [row["fixed_mb"] + row["per_atom_mb"] * 272 * n for n in (1, 8, 27)]
    assert cost.cells_memory_mb(paper, "nequip") == pytest.approx(expected)


def test_the_memory_a_job_was_granted_is_slurms_or_the_machines(monkeypatch):
    for name in ("SLURM_MEM_PER_NODE", "SLURM_MEM_PER_CPU", "SLURM_CPUS_ON_NODE", "SLURM_JOB_ID"):
        monkeypatch.delenv(name, raising=False)
    machine = res.granted_memory_mb()
    with open("/proc/meminfo") as handle:  # MemTotal, kB
        total_kb = int(handle.readline().split()[1])
    assert machine == pytest.approx(total_kb / 1024, rel=1e-3)
    monkeypatch.setenv("SLURM_MEM_PER_CPU", "3000")
    monkeypatch.setenv("SLURM_CPUS_ON_NODE", "4")
    assert res.granted_memory_mb() == 12_000
    assert res.too_big(11_000, "x") is None
    said = res.too_big(13_000, "PBE-D3 of a glass")
    assert said.startswith("PBE-D3 of a glass needs about 12.7 GB; this job has 11.7 GB")
    monkeypatch.setenv("SLURM_MEM_PER_NODE", "20000")  # a whole-node request wins
    assert res.granted_memory_mb() == 20_000
    # inside Snakemake's job step only the job's id is left: its request is the grant
    for name in ("SLURM_MEM_PER_NODE", "SLURM_MEM_PER_CPU", "SLURM_CPUS_ON_NODE"):
        monkeypatch.delenv(name)
    cp2k = {"mem_mb": 4000, "mem_mb_per_cpu": 10039, "tasks": 2, "cpus_per_task": 1}
    assert res.granted_memory_mb(cp2k) == machine  # not in a Slurm job: the machine's
    monkeypatch.setenv("SLURM_JOB_ID", "7")
    assert res.granted_memory_mb(cp2k) == 20_078  # per CPU before per job, as sbatch
    assert res.granted_memory_mb({"mem_mb": 5000}) == 5000
    assert res.granted_memory_mb({"mem_mb": 10**9}) == machine  # never more than there is
    assert res.too_big(6000, "x", granted_mb=5000).endswith(
        "this job has 4.9 GB: give it a node that holds it"
    )


def test_a_cost_cell_bigger_than_the_jobs_memory_is_not_run_and_says_why(tmp_path, monkeypatch):
    """Argon (Lennard-Jones in LAMMPS) in two cells; the second expected to need more
    than the job's 4000 MB: its row says so, the first is measured."""
    from ase.build import bulk

    from mofglass.atomicio import write_frames
    from mofglass.jobs.train import cost_job
    from mofglass.models import Model, write_model

    monkeypatch.setenv("SLURM_MEM_PER_NODE", "4000")
    lj = ("pair_style lj/cut 8.0", "pair_coeff * * 0.0104 3.4")
    write_model(tmp_path / "model", Model("lj", "test", ("Ar",), ("lj/cut",), lj))
    write_frames(tmp_path / "ar.extxyz", [bulk("Ar", "fcc", a=5.26, cubic=True)])
    block = {"supercells": [[2, 2, 2], [3, 3, 3]], "steps": 20, "timestep_fs": 2.0}
    table = cost_job(
        str(tmp_path / "model" / "model.json"),
        str(tmp_path / "ar.extxyz"),
        {**block, "temperature_K": 80.0},
        {},
        str(tmp_path / "work"),
        str(tmp_path / "cost.csv"),
        str(tmp_path / "cost.png"),
        memory_mb=[500.0, 9000.0],
    )
    assert list(table["n_atoms"]) == [32, 108]
    assert list(table["verdict"]) == ["ok", "not run"]
    assert table["us_per_atom_step"].iloc[0] > 0 and np.isnan(table["us_per_atom_step"].iloc[1])
    assert "needs about 8.8 GB; this job has 3.9 GB" in table["reason"].iloc[1]
    assert (tmp_path / "cost.png").stat().st_size > 5_000


def test_a_biased_exploration_run_is_priced_at_its_metadynamics_steps():
    config = yaml.safe_load((REPO / "config/mof5.yaml").read_text())
    config = validate_config(config, REPO / "workflow/schemas/config.schema.yaml")
    loop = config["models"]["snap"]["active_learning"]
    meta = loop["metadynamics"]
    plain = cost.job_work(config, "al_explore", {"model": "snap", "iteration": "2", "run": "0"})
    biased_run = str(loop["runs"])  # the first run after the plain ones
    biased = cost.job_work(
        config, "al_explore", {"model": "snap", "iteration": "2", "run": biased_run}
    )
    assert (plain.key, plain.atoms, plain.count) == (biased.key, biased.atoms, loop["steps"])
    assert biased.count == meta["steps"]
