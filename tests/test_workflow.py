"""Snakemake on a copy of the project: DAGs, lint, config errors, and the tiny pipeline
killed mid-run and resumed."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from ase.units import Bohr, Hartree

from mofglass import cost
from mofglass import resources as res
from mofglass.atomicio import read_frames
from mofglass.config import validate_config
from mofglass.jobs.aimd import aimd_job
from mofglass.jobs.selection import select_job
from mofglass.plan import AIMDRun

from .browser import assert_report_reads_well
from .conftest import write_config

pytestmark = pytest.mark.workflow


def assert_verdict_matches_thermo(verdict, thermo, protocol_ps: float) -> None:
    """An ``ok`` run reached the protocol's end with no reason; a ``failed`` one names
    its reason and stopped where its thermo stops (either verdict is a result)."""
    assert verdict["final_time_ps"] == pytest.approx(thermo["time_ps"].iloc[-1])
    if verdict["verdict"] == "ok":
        assert pd.isna(verdict["reason"]) or verdict["reason"] == ""
        assert thermo["time_ps"].iloc[-1] == pytest.approx(protocol_ps)
    else:
        assert verdict["verdict"] == "failed" and len(str(verdict["reason"])) > 10
        assert verdict["failed_at_ps"] <= thermo["time_ps"].iloc[-1] + 1e-9
        assert thermo["time_ps"].iloc[-1] < protocol_ps


def snakemake(cwd: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_snakemake(cwd: Path, *args: str) -> subprocess.Popen:
    """Snakemake in the background, in its own process group (to kill the whole tree)."""
    return subprocess.Popen(
        [sys.executable, "-m", "snakemake", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def mofglass_status(cwd: Path, *snakemake_args: str) -> subprocess.CompletedProcess:
    """``mofglass status`` in ``cwd``, the arguments after ``--`` passed to Snakemake."""
    command = [str(Path(sys.executable).parent / "mofglass"), "status", "--", *snakemake_args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


def status_counts(text: str) -> dict[str, dict[str, int]]:
    """stage -> {done, running, failed, to do} from ``mofglass status``'s table."""
    rows = re.findall(r"^(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", text, re.MULTILINE)
    states = ("done", "running", "failed", "to do")
    return {stage: dict(zip(states, map(int, n), strict=True)) for stage, *n in rows}


@pytest.mark.parametrize(
    (
        "config",
        "aimd_jobs",
        "datasets",
        "label_batches",
        "families",
        "published",
        "zero_shot",
        "loop",
        "mechanics",
        "cross",
    ),
    [
        # loop: active-learning jobs (explore, select, label, train) or None
        # mechanics: (model, sample) pairs (one number for every part, or one each for
        # the P-V scan, fluctuations, expansion and VDOS), volumes and (T, P) points per pair;
        # then (model, bias) metadynamics runs; phase-classifier MD runs and trajectories
        # cross: cross-checks of levels (datasets) and of glasses (models)
        # zero_shot: foundation models that are evaluated only (the default's CHGNet)
        ("config.yaml", 4, 3, 0, 0, 0, 1, (18, 7, 25, 8), (3, 5, 3, 1, 3, 2), (1, 1)),
        ("tiny.yaml", 4, 2, 2, 0, 0, 0, None, (0, 0, 0, 0, 0, 0), (0, 0)),
        # paper: Castel et al.'s published NequIP beside the four trained models and
        # CHGNet fine-tuned (a family's training, no MD past its check); mechanics as the
        # paper: NequIP's P-V scans of the crystal and 5 glasses, the crystal's fluctuations
        ("paper.yaml", 9, 2, 0, 3, 1, 0, (601, 13, 63, 13), ((6, 1, 0, 0), 9, 9, 4, 7, 5), (1, 5)),
    ],
)
def test_dry_run_builds_the_dag(
    project,
    config,
    aimd_jobs,
    datasets,
    label_batches,
    families,
    published,
    zero_shot,
    loop,
    mechanics,
    cross,
):
    result = snakemake(project, "-n", "--configfile", f"config/{config}")
    assert result.returncode == 0, result.stderr
    counts = {k: int(v) for k, v in re.findall(r"^(\w+)\s+(\d+)$", result.stdout, re.M)}
    assert counts["aimd_run"] == aimd_jobs
    assert counts["pool"] == 1
    assert counts.get("select", 0) + counts.get("select_cbad", 0) == datasets
    assert counts["dataset"] == datasets and counts["all"] == 1
    assert counts.get("label_batch", 0) == label_batches
    assert counts["train_snap"] == 1 and counts.get("train_family", 0) == families
    al_rules = ("al_explore", "al_select", "al_label", "al_train")
    assert tuple(counts.get(rule, 0) for rule in al_rules) == (loop or (0, 0, 0, 0))
    assert counts.get("al_final", 0) == (1 if loop else 0)
    assert (counts.get("cross_check_level", 0), counts.get("glass_check", 0)) == cross
    models = 1 + families + (1 if loop else 0) + published + zero_shot
    assert counts.get("publish_model", 0) == published
    assert counts.get("foundation_model", 0) == zero_shot
    assert counts["evaluate_model"] == models  # every model
    for rule in ("model_cost", "md_check"):
        assert counts[rule] == models - zero_shot
    # a model trained elsewhere has no learning curve
    assert counts["learning_curve"] == models - published - zero_shot
    pairs, volumes, points, biases, phase_md, phase_trajectories = mechanics
    assert counts.get("enhanced_run", 0) == biases
    assert counts.get("phases_md", 0) == phase_md
    assert counts.get("phases_over_time", 0) == phase_trajectories
    assert counts.get("phases_train", 0) == (1 if phase_md else 0)
    parts = ("mechanics_eos", "mechanics_fluctuations", "mechanics_expansion", "mechanics_vdos")
    per_part = dict(zip(parts, pairs if isinstance(pairs, tuple) else [pairs] * 4, strict=True))
    assert counts.get("mechanics_eos_point", 0) == per_part["mechanics_eos"] * volumes
    assert counts.get("mechanics_expansion_point", 0) == per_part["mechanics_expansion"] * points
    for rule in parts:
        assert counts.get(rule, 0) == per_part[rule]


@pytest.mark.parametrize("config", ["zif8.yaml", "mof5.yaml", "zif8_paper.yaml", "mof5_paper.yaml"])
def test_sharma_and_sanvito_configs_plan_their_protocol(project, config):
    """Each ZIF-8 / MOF-5 config's DAG, counted from the config itself: one reference MD
    run per temperature, a CBAD set, T_k-driven active learning (runs per iteration,
    one select and one retraining each, plus iteration 0's model), the NPT scan per
    temperature, and the rotation metadynamics for MOF-5 only."""
    block = yaml.safe_load((project / "config" / config).read_text())
    result = snakemake(project, "-n", "--configfile", f"config/{config}")
    assert result.returncode == 0, result.stderr
    counts = {k: int(v) for k, v in re.findall(r"^(\w+)\s+(\d+)$", result.stdout, re.M)}
    loop = block["models"]["snap"]["active_learning"]
    iterations = loop["max_iterations"]
    assert counts["aimd_run"] == len(block["aimd"]["temperatures_K"])
    assert counts["select_cbad"] == 1
    meta = loop.get("metadynamics") or {}  # MOF-5's biased runs, from their iteration on
    biased = meta.get("runs", 2) * max(0, iterations - meta.get("from_iteration", 1) + 1)
    if not meta.get("bias"):
        biased = 0
    assert counts["al_explore"] == iterations * loop["runs"] + biased
    assert counts["al_select"] == iterations and counts["al_train"] == iterations + 1
    assert loop["temperatures_K"] == sorted(loop["temperatures_K"])  # T_k rises
    points = block["mechanics"]["expansion"]["temperatures_K"]
    assert counts["mechanics_expansion_point"] == len(points)
    assert counts.get("enhanced_run", 0) == (1 if config.startswith("mof5") else 0)
    assert counts.get("meltquench_run", 0) == 0 and counts.get("phases_md", 0) == 0


@pytest.mark.parametrize("config", ["coexistence.yaml", "paper.yaml"])
def test_coexistence_configs_plan_a_ladder_per_system(project, config):
    """The laptop coexistence config (the default's blocks plus one system) and the
    paper's: one slab build per system, one NPT run per temperature of its ladder, one
    bracket per system; the laptop one adds nothing else to the default's DAG."""
    block = yaml.safe_load((project / "config" / config).read_text())["coexistence"]
    result = snakemake(project, "-n", "--configfile", f"config/{config}")
    assert result.returncode == 0, result.stderr
    counts = {k: int(v) for k, v in re.findall(r"^(\w+)\s+(\d+)$", result.stdout, re.M)}
    systems = block["systems"].values()
    assert counts["coexistence_build"] == len(systems)
    assert counts["coexistence_run"] == sum(len(s["temperatures_K"]) for s in systems)
    assert counts["coexistence_bracket"] == len(systems)
    if config == "coexistence.yaml":  # a complete copy of the default: it must not drift
        whole = yaml.safe_load((project / "config" / config).read_text())
        whole.pop("coexistence")
        assert whole == yaml.safe_load((project / "config" / "config.yaml").read_text())
        default = snakemake(project, "-n")
        total = int(re.search(r"^total\s+(\d+)$", default.stdout, re.M).group(1))
        assert counts["total"] == total + 2 * len(systems) + counts["coexistence_run"]


def test_lint_has_nothing_to_report(project):
    result = snakemake(project, "--lint")
    assert result.returncode == 0
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr


def test_bad_config_stops_the_run_before_any_job(project):
    bad = write_config(project, "bad.yaml", "tiny.yaml", aimd__tempratures_K=[300])
    result = snakemake(project, "--cores", "1", "--configfile", bad)
    assert result.returncode != 0
    assert "unknown key(s) 'tempratures_K' in aimd" in result.stderr
    assert not (project / "results").exists()


def test_the_paper_run_plans_before_anything_is_installed(project, monkeypatch):
    """On a login node, before ./install.sh --models and before the published model is
    fetched: the dry run plans the whole DAG and lists what the run will need, each with
    how to get it."""
    (project / ".venvs").unlink(missing_ok=True)
    for name in list(os.environ):
        if name.startswith("MOFGLASS_") and name.endswith("_PYTHON"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("MOFGLASS_CASTEL2024_NEQUIP")
    result = snakemake(project, "-n", "--configfile", "config/paper.yaml")
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r"^aimd_run\s+9$", result.stdout, re.M)
    needed = result.stderr.split("This run will need", 1)[1]
    for family in ("nequip", "allegro"):
        assert f"model family {family!r} is not installed: run ./install.sh --models" in needed
    assert "'chgnet'" in needed and "./install.sh" in needed  # the fine-tuned level's
    assert "MOFGLASS_CASTEL2024_NEQUIP (set it to where the model file lies)" in needed
    # each job's request is its cost from the config, with the margins of resources.py
    config = validate_config(
        yaml.safe_load((project / "config/paper.yaml").read_text()),
        project / "workflow/schemas/config.schema.yaml",
    )
    aimd = re.search(r"rule aimd_run:\n(?:    .*\n)*?    resources: (.*)", result.stdout)
    asked = dict(kv.split("=", 1) for kv in aimd.group(1).split(", "))
    work = cost.job_work(config, "aimd_run", {"structure": "ZIF-4"})
    assert int(asked["runtime"]) == res.runtime_min(work)
    assert int(asked["mem_mb_per_cpu"]) == res.memory_request_mb(work)
    assert asked["tasks"] == "64"
    # and what the whole run will cost, per stage, from the same plan
    priced = subprocess.run(
        [
            str(Path(sys.executable).parent / "mofglass"),
            "cost",
            "--configfile",
            "config/paper.yaml",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert priced.returncode == 0, priced.stderr[-3000:]
    rows = dict(re.findall(r"^\| (\w+) \| (\d+) \|", priced.stdout, re.M))
    assert int(rows["aimd"]) == 9 and int(rows["meltquench"]) >= 25
    # every job of the plan is priced
    planned = int(re.search(r"^total\s+(\d+)$", result.stdout, re.M).group(1))
    total = re.search(r"^\| \*\*total\*\* \| ([\d,]+) \|", priced.stdout, re.M)
    assert int(total.group(1).replace(",", "")) == planned


def test_a_job_that_needs_what_is_not_here_stops_with_the_plans_line(project):
    """The published model's job, run without its file: it fails, and its log says why
    in the words of the plan."""
    name = write_config(
        project,
        "published.yaml",
        "tiny.yaml",
        models__castel={"type": "published", "dataset": "fh", "file": "/nowhere/castel.pth"},
    )
    target = "results/models/castel/model.json"
    result = snakemake(project, target, "--cores", "1", "--configfile", name)
    assert result.returncode != 0
    line = "models.castel.file: no file '/nowhere/castel.pth'"
    assert line in result.stderr  # the plan's list
    assert line in (project / "logs/models/castel/publish.log").read_text()


def test_structure_stage_refuses_an_element_without_basis(project):
    (project / "cu.cif").write_text(
        "data_cu\n_cell_length_a 3.61\n_cell_length_b 3.61\n_cell_length_c 3.61\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        "_symmetry_space_group_name_H-M 'F m -3 m'\n_symmetry_Int_Tables_number 225\n"
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
        "_atom_site_fract_y\n_atom_site_fract_z\nCu1 Cu 0 0 0\n"
    )
    config = write_config(
        project,
        "cu.yaml",
        "tiny.yaml",
        structures={"Cu": {"source": "cu.cif"}},
        levels_of_theory={"pbe": {"method": "pbe-d3"}},
        aimd__level_of_theory="pbe",
        datasets={"d": {"selector": "random", "train": 1, "test": 0, "level_of_theory": "pbe"}},
        models={},
    )
    result = snakemake(project, "structures", "--cores", "1", "--configfile", config)
    assert result.returncode != 0
    log = (project / "logs/structures/Cu.log").read_text()
    # the job ran this checkout's mofglass, not the one installed in the environment
    assert f"from {project / 'src' / 'mofglass'}" in log
    assert "no CP2K basis set for element(s) Cu" in log
    assert "levels_of_theory.pbe.basis" in log
    assert not (project / "results/structures/Cu.extxyz").exists()
    # mofglass status names the failed job, its stage and the reason from its log
    shown = mofglass_status(project, "structures", "--configfile", config)
    assert shown.returncode == 1, shown.stderr[-3000:]
    assert "no run in progress" in shown.stdout
    failed = shown.stdout.split("failed:\n", 1)[1]
    assert "structures/structure logs/structures/Cu.log:" in failed
    assert "no CP2K basis set for element(s) Cu" in failed


@pytest.mark.cp2k
@pytest.mark.cp2k
def test_status_tells_how_far_a_running_job_is_and_what_a_kill_left(project):
    """``mofglass status`` during a run: the AIMD job running with its progress line
    (simulated ps of the total, steps/s, ETA) from its log, the later stages to do;
    after the run is killed, the job it was in is failed: interrupted."""
    config = write_config(
        project,
        "long.yaml",
        "tiny.yaml",
        aimd__temperatures_K=[300],
        aimd__volume_scales=[1.0],
        aimd__steps=240,
        aimd__chunk_steps=40,
        aimd__print_every=10,
    )
    args = ("aimd", "--cores", "1", "--configfile", config)
    proc = start_snakemake(project, *args)
    log = project / "logs/aimd/ZnIm2/T300_V1.000.log"
    try:
        deadline = time.monotonic() + 300
        while "progress aimd" not in (log.read_text() if log.exists() else ""):
            assert proc.poll() is None and time.monotonic() < deadline, "no progress line"
            time.sleep(0.2)
        shown = mofglass_status(project, *args[:1], *args[3:])
        assert proc.poll() is None, "the AIMD ended before the status was read: make it longer"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert shown.returncode == 0, shown.stderr[-3000:]
    assert "run in progress" in shown.stdout and "no run" not in shown.stdout
    counts = status_counts(shown.stdout)
    assert counts["aimd"]["running"] == 1 and counts["structures"]["done"] >= 1
    running = shown.stdout.split("running:\n", 1)[1]
    assert re.search(
        r"aimd/aimd_run logs/aimd/ZnIm2/T300_V1\.000\.log: aimd ZnIm2/T300_V1\.000: "
        r"[\d.]+ of 0\.12 ps \(\d+%\), [\d.]+ steps/s, ETA \d+ (s|min)",
        running,
    ), running
    assert snakemake(project, "--unlock", *args).returncode == 0
    after = mofglass_status(project, *args[:1], *args[3:])
    assert "no run in progress" in after.stdout and after.returncode == 1
    assert "aimd/aimd_run logs/aimd/ZnIm2/T300_V1.000.log: interrupted" in after.stdout


def test_tiny_pipeline_killed_mid_aimd_and_resumed(project, monkeypatch):
    config = write_config(
        project,
        "kill.yaml",
        "tiny.yaml",
        aimd__steps=24,
        aimd__chunk_steps=6,
        md__ranks=2,  # the MD check runs LAMMPS on two MPI ranks
        datasets__fh__train=6,
        datasets__fh__test=3,
        datasets__fh__validation=3,
        labels__batch_size=5,
        analysis__aimd=True,
    )
    args = ("labels", "--cores", "2", "--configfile", config)
    proc = start_snakemake(project, *args)
    aimd = project / "results" / "aimd" / "ZnIm2"
    killed = None
    deadline = time.monotonic() + 300
    while killed is None and time.monotonic() < deadline and proc.poll() is None:
        for chunk in aimd.glob("*/cp2k/chunk0001"):
            if (chunk / "cp2k.inp").exists() and not (chunk / "frames.extxyz").exists():
                os.killpg(proc.pid, signal.SIGKILL)  # the whole job tree, CP2K included
                killed = chunk.parents[1]
                break
        time.sleep(0.02)
    proc.wait()
    assert killed is not None, "never caught an AIMD job in its second chunk"
    first_chunk = killed / "cp2k/chunk0000/frames.extxyz"
    assert first_chunk.exists() and not (killed / "cp2k/chunk0001/frames.extxyz").exists()
    assert not (killed / "trajectory.extxyz").exists()
    stamp = first_chunk.stat().st_mtime_ns

    assert snakemake(project, "--unlock", *args).returncode == 0
    result = snakemake(project, *args)
    assert result.returncode == 0, result.stderr[-3000:]

    # the killed run resumed: chunk 0 untouched, steps continuous, nothing repeated
    assert first_chunk.stat().st_mtime_ns == stamp
    log = (project / "logs/aimd/ZnIm2" / f"{killed.name}.log").read_text()
    assert "already done" in log and "discarding the partial output" in log
    for run in sorted(aimd.iterdir()):
        steps = [f.info["step"] for f in read_frames(run / "trajectory.extxyz")]
        assert steps == list(range(25)), run.name
    # and it is the trajectory an uninterrupted run gives
    resumed = read_frames(killed / "trajectory.extxyz")
    cfg = yaml.safe_load((project / config).read_text())
    validate_config(cfg, project / "workflow/schemas/config.schema.yaml")
    temperature, volume = re.fullmatch(r"T(.+)_V(.+)", killed.name).groups()
    reference = aimd_job(
        structure_file=str(project / f"results/structures/ZnIm2/V{volume}.extxyz"),
        run=AIMDRun("ZnIm2", float(temperature), float(volume)),
        aimd=cfg["aimd"],
        level_name="xtb",
        level=cfg["levels_of_theory"]["xtb"],
        cp2k=cfg["cp2k"],
        workdir=str(project / "reference"),
        outputs={
            "trajectory": str(project / "reference.extxyz"),
            "thermo": str(project / "reference.tsv"),
        },
    )
    for a, b in zip(resumed, reference, strict=True):
        assert a.get_potential_energy() == pytest.approx(b.get_potential_energy(), abs=1e-5)
        np.testing.assert_allclose(a.positions, b.positions, atol=1e-5)

    # labels: exactly the frames the relabelled dataset chose, each equal to its CP2K output
    lineage = pd.read_csv(project / "results/selection/fh/selection.csv")
    chosen = lineage[lineage["split"].isin(["train", "test", "validation"])]
    labelled = read_frames(project / "results/labels/xtb/labelled.extxyz")
    assert read_frames(project / "results/labels/xtb/quarantine.extxyz") == []
    assert sorted(a.info["frame_id"] for a in labelled) == sorted(chosen["frame_id"])
    counts = chosen["split"].value_counts()
    assert 1 <= counts["train"] <= 6 and 1 <= counts["test"] <= 3 and counts["validation"] == 3
    summary = (project / "results/labels/xtb/summary.tsv").read_text().splitlines()
    assert len(summary) == len(labelled) + 1
    assert all("\taccepted\t" in row for row in summary[1:])
    for atoms in labelled:
        assert atoms.info["label_status"] == "accepted" and atoms.info["scf_converged"]
        for key in ("run", "step", "temperature_K", "volume_scale", "level_of_theory"):
            assert key in atoms.info
        framedir = project / "results/labels/xtb/cp2k" / atoms.info["run"]
        framedir = framedir / f"step{atoms.info['step']:08d}"
        out = (framedir / "cp2k.out").read_text()
        energy = float(re.findall(r"ENERGY\| Total FORCE_EVAL.*:\s+(\S+)", out)[-1]) * Hartree
        assert atoms.get_potential_energy() == pytest.approx(energy, abs=1e-8)
        rows = [
            ln.split()
            for ln in open(framedir / "sp-forces-1_0.xyz")
            if re.match(r"\s+\d+\s+\d+\s", ln)
        ]
        forces = np.array([[float(x) for x in r[3:6]] for r in rows]) * Hartree / Bohr
        np.testing.assert_allclose(atoms.get_forces(), forces, atol=1e-8)
    # the dataset's splits are the selection's, with the single-point labels
    final = pd.read_csv(project / "results/datasets/fh/lineage.csv")
    for split in ("train", "test", "validation"):
        frames = read_frames(project / f"results/datasets/fh/{split}.extxyz")
        ids = lineage.loc[lineage["split"] == split, "frame_id"]
        assert sorted(a.info["frame_id"] for a in frames) == sorted(ids)
        assert all(
            a.info["level_of_theory"] == "xtb" and "stress" in a.calc.results for a in frames
        )
    assert set(final.loc[final["split"] != "reserve", "label_status"]) == {"labelled"}

    # CBAD: figures, coverage, AIMD labels; the same seed gives the same shuffled order
    selection = project / "results/selection"
    for png in (
        "fh/energy_distribution.png",
        "cbad/energy_distribution.png",
        "cbad/cbad_coverage.png",
    ):
        assert (selection / png).read_bytes()[:4] == b"\x89PNG"
    coverage = pd.read_csv(selection / "cbad/cbad_coverage.csv")
    assert (coverage["bins_covered"] <= coverage["bins_visited"]).all()
    cbad = pd.read_csv(selection / "cbad/selection.csv")
    train = cbad[cbad["split"] == "train"]
    assert (train["cbad_bins_added"] > 0).all() and (cbad["cbad_bins_added"] > 0).sum() == len(
        train
    )
    assert train["cbad_bins_added"].sum() == coverage["bins_covered"].sum()
    for atoms in read_frames(project / "results/datasets/cbad/train.extxyz"):
        assert "stress" in atoms.calc.results and atoms.info["level_of_theory"] == "xtb"
    block = dict(cfg["datasets"]["cbad"])
    block["cbad"] = dict(block["cbad"], order="shuffled")
    monkeypatch.chdir(project)  # the pool names trajectories relative to the project
    runs = []
    for k in range(2):
        out = project / f"shuffled{k}"
        runs.append(
            select_job(
                str(project / "results/selection/pool.csv"),
                "cbad",
                block,
                str(out / "selection.csv"),
                str(out / "energy.png"),
                str(out / "coverage.csv"),
                str(out / "coverage.png"),
                threads=2,
            )
        )
    pd.testing.assert_frame_equal(runs[0], runs[1])

    nothing = snakemake(project, "-n", *args)
    assert "Nothing to be done" in nothing.stdout + nothing.stderr

    # training and the MD engine on the labelled dataset (config tiny: SNAP 2J=2)
    trained = snakemake(project, "train", "md", "--cores", "2", "--configfile", config)
    assert trained.returncode == 0, trained.stderr[-3000:]
    models = project / "results/models/snap"
    metrics = pd.read_csv(models / "metrics.csv")
    assert list(metrics["split"]) == ["train", "validation", "test"]
    assert (metrics["n_frames_with_stress"] == metrics["n_frames"]).all()
    for name in ("parity.png", "learning_curve.png", "cost.png", "pair.lammps"):
        assert (models / name).stat().st_size > 0
    assert (pd.read_csv(models / "cost.csv")["us_per_atom_step"] > 0).all()
    verdict = pd.read_csv(project / "results/md/snap/check/verdict.tsv", sep="\t").iloc[0]
    thermo = pd.read_csv(project / "results/md/snap/check/thermo.tsv", sep="\t")
    assert thermo["time_ps"].iloc[0] == 0 and len(thermo) >= 2
    assert_verdict_matches_thermo(verdict, thermo, protocol_ps=0.1)  # 200 steps of 0.5 fs
    lammps_log = (project / "results/md/snap/check/lammps/log.lammps").read_text()
    assert "on 2 procs" in lammps_log  # md.ranks: 2 reached LAMMPS through mpiexec

    # analysis and the report close the main job (tiny: no melt-quench, a fragment)
    finished = snakemake(project, "--cores", "2", "--configfile", config)
    assert finished.returncode == 0, finished.stderr[-3000:]
    page = (project / "results/report/index.html").read_text()
    for title in ("Selection", "Models", "Structure"):
        assert f">{title}</h2>" in page
    assert "CP2K gfn1-xtb (xtb)" in page  # the level of the SNAP's labels, named
    assert "Melt-quench" not in page and page.count("data:image/png;base64,") >= 8
    # as a reader's browser shows it: the summary first, images, links, units, captions
    assert_report_reads_well(project / "results/report/index.html")
    summary = pd.read_csv(project / "results/analysis/structure/ZnIm2/summary.csv")
    assert "zn_n_coordination" in set(summary["quantity"])
    # each source's PMF at its own temperature: the AIMD run's thermostat, the static
    # structure at analysis.pmf_temperature_K; F = -k_B T ln(g / g_max) in kJ/mol
    for source, temperature in (
        ("aimd/ZnIm2/T900_V1.000", 900.0),
        ("aimd/ZnIm2/T300_V1.100", 300.0),
        ("structure/ZnIm2", 300.0),
    ):
        rdf = pd.read_csv(project / f"results/analysis/{source}/rdf.csv")
        pmf = pd.read_csv(project / f"results/analysis/{source}/pmf.csv")
        assert (pmf["temperature_K"] == temperature).all()
        g = rdf["g_Zn_N"].to_numpy()
        kt_kj_per_mol = 8.314462618e-3 * temperature  # R T, CODATA 2018
        with np.errstate(divide="ignore"):
            expected = -kt_kj_per_mol * np.log(g / g.max())
        finite = np.isfinite(expected)
        assert finite.sum() >= 3  # the peak and at least two more bins
        assert pmf["F_Zn_N_kJ_per_mol"].to_numpy()[finite] == pytest.approx(
            expected[finite], rel=1e-5
        )

    # Snakemake's own report of the same run: every figure a rule marks, with the
    # caption its .rst file gives, the figure itself in the archive
    # mofglass status on the finished run: every job done, nothing else
    shown = mofglass_status(project, "--configfile", config)
    assert shown.returncode == 0, shown.stderr[-3000:]
    counts = status_counts(shown.stdout)
    assert {"structures", "aimd", "labels", "train", "analysis", "report"} <= set(counts)
    assert all(c["done"] > 0 and c["done"] == sum(c.values()) for c in counts.values())
    total = sum(c["done"] for c in counts.values())
    assert f"{total} of {total} jobs done" in shown.stdout
    assert "running:" not in shown.stdout and "failed:" not in shown.stdout

    made = snakemake(project, "--configfile", config, "--report", "report.zip")
    assert made.returncode == 0, made.stderr[-3000:]
    assert_snakemake_report(project, project / "report.zip")


def assert_snakemake_report(project: Path, archive: Path) -> None:
    """Open a ``snakemake --report`` archive: its page lists every PNG under results/
    that the run made (each a figure some rule marks) and the tables rules mark, each
    with its caption from workflow/report/ (a figure's: <stem>.rst), and holds each
    file's bytes."""
    import json
    import zipfile

    captions = {p.stem: p.read_text().strip() for p in (project / "workflow/report").glob("*.rst")}
    with zipfile.ZipFile(archive) as zipped:
        page = zipped.read("report/report.html").decode()
        stored = {}  # file name -> the contents of every file of that name (summary.csv...)
        for n in zipped.namelist():
            if "/data/raw/" in n:
                stored.setdefault(Path(n).name, []).append(zipped.read(n))
    found = re.search(r"var results = (\{.*?\});\n", page)
    assert found, "no results in the report page"
    results = json.loads(found.group(1))
    figures = sorted(
        str(p.relative_to(project))
        for p in (project / "results").rglob("*.png")
        if "/active_learning/" not in str(p) or p.name == "records.png"
    )
    assert figures and sorted(p for p in results if p.endswith(".png")) == figures
    tables = sorted(p for p in results if not p.endswith(".png"))
    assert "results/models/snap/metrics.csv" in tables and len(tables) >= 3
    for path, entry in results.items():
        name = Path(path).name
        if path.endswith(".png"):
            assert captions[Path(path).stem] in entry["caption"], path
            assert all(data[:8] == b"\x89PNG\r\n\x1a\n" for data in stored[name])
        else:
            assert any(text in entry["caption"] for text in captions.values()), path
            assert (project / path).read_bytes() in stored[name]


def test_a_framework_never_seen_runs_to_its_md_check(project, shared):
    """ZIF-67, Co(mIm)2, which no line of the code names: ZIF-8's published CIF with Co
    for Zn, given as a user's file. It runs structures -> reference MD (SevenNet-0) ->
    labels -> SNAP -> MD check with no code change, and its chemistry is read as a
    cobalt 2-methylimidazolate: Co on four N within 1.3 x (r_Co + r_N) = 2.6 Å."""
    import ase.io

    zif8 = ase.io.read(
        shared / "data/structures/crystals/ZIF-8_PBE-D3-opt_Durholt2019_primitive.cif"
    )
    zif67 = zif8.copy()
    zif67.symbols[zif67.symbols == "Zn"] = "Co"
    ase.io.write(project / "zif67.cif", zif67)
    level = {"calculator": "sevennet-0"}
    config = write_config(
        project,
        "zif67.yaml",
        "tiny.yaml",
        structures={"ZIF-67": {"source": "zif67.cif"}},
        levels_of_theory={"sevennet": level},
        aimd__level_of_theory="sevennet",
        aimd__temperatures_K=[300],
        aimd__volume_scales=[1.0],
        datasets={
            "d": {
                "selector": "random",
                "train": 4,
                "test": 2,
                "validation": None,
                "level_of_theory": "sevennet",
                "labels_from": "aimd",
            }  # fmt: skip
        },
        models={"snap": {"type": "snap", "dataset": "d", "snap": {"twojmax": 2}}},
    )
    result = snakemake(project, "md", "--cores", "2", "--configfile", config)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads((project / "results/structures/ZIF-67.chemistry.json").read_text())
    assert found["metals"] == ["Co"] and found["donors"] == ["N"]
    assert found["bond_cutoffs_A"] == {"Co-N": 2.6} and found["coordination"] == {"Co": 4}
    assert found["linkers"] == {"C4H5N2": 12}  # two 2-methylimidazolates per Co
    verdict = pd.read_csv(project / "results/md/snap/check/verdict.tsv", sep="\t")
    assert verdict["verdict"].iloc[0] in ("ok", "failed")  # a result, either way
    assert verdict["verdict"].iloc[0] == "ok" or verdict["reason"].iloc[0]
