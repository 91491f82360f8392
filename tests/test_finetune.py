"""Fine-tuned foundation models (``type: finetune``): CHGNet with its own trainer and a
MACE model file with ``mace_run_train --foundation_model``, each a model like any
other; and the learning curve that sets fine-tuning beside the same architecture
trained from scratch on the same frames.

The CHGNet tests learn a level that CHGNet misses by a known amount: CHGNet's own
answers with every energy raised by 50 meV/atom. Zero-shot, its energy error there is
exactly 50 meV/atom; fine-tuning must remove most of it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import ase.io
import numpy as np
import pandas as pd
import pytest
from ase.calculators.singlepoint import SinglePointCalculator

from mofglass import families
from mofglass.atomicio import read_frames, write_frames, write_table
from mofglass.families import publish
from mofglass.jobs.train import evaluate_job, learning_curve_job
from mofglass.lammps import evaluate
from mofglass.models import load_model
from mofglass.train import Training, committee_members, train_model

from .conftest import TINY_STRUCTURE, write_config
from .test_families import SETTINGS as FAMILY_SETTINGS
from .test_families import SPECIES, TEACHER
from .test_workflow import assert_verdict_matches_thermo, snakemake

CHGNET = {"name": "chgnet", "block": {"calculator": "chgnet"}}
SHIFT_EV_PER_ATOM = 0.05
LABELS = "chgnet+50meV"  # their level of theory
#: CHGNet's own recipe: embeddings and message passing kept, readout trained
FROZEN = list(families.CHGNET_FROZEN)
SETTINGS = {
    "seed": 1,
    "epochs": 10,
    "batch_size": 2,
    "learning_rate": 0.001,  # paper.yaml's
    "energy_weight": 1.0,
    "forces_weight": 1.0,
    "stress_weight": 0.1,
    "device": "cpu",
    "freeze": FROZEN,
}


def needs(level: dict) -> None:
    if families.interpreter("finetune", level) is None:
        pytest.skip(f"level {level['name']!r} is not installed: ./install.sh --models chgnet")


def rattled(n: int) -> list:
    base = ase.io.read(TINY_STRUCTURE)
    frames = []
    for k in range(n):
        atoms = base.copy()
        atoms.rattle(0.05, seed=k)
        atoms.info["frame_id"] = f"t:{k}"
        frames.append(atoms)
    return frames


@pytest.fixture(scope="module")
def shifted(tmp_path_factory):
    """Eight rattled Zn(Im)2 fragments labelled by CHGNet + 50 meV/atom, split 4/2/2."""
    needs(CHGNET)
    work = tmp_path_factory.mktemp("shifted")
    species = sorted(set(ase.io.read(TINY_STRUCTURE).get_chemical_symbols()))
    publish.foundation("zs", {"type": "foundation"}, CHGNET, species, work / "zero_shot")
    labels = []
    for atoms in families.predict(work / "zero_shot", rattled(8), "cpu"):
        energy = atoms.get_potential_energy() + SHIFT_EV_PER_ATOM * len(atoms)
        results = {"forces": atoms.get_forces(), "stress": atoms.get_stress()}
        atoms.calc = SinglePointCalculator(atoms, energy=energy, **results)
        atoms.info["level_of_theory"] = LABELS
        labels.append(atoms)
    files = {}
    for split, part in (("train", labels[:4]), ("validation", labels[4:6]), ("test", labels[6:])):
        files[split] = str(work / f"{split}.extxyz")
        write_frames(files[split], part)
    lineage = pd.DataFrame(
        {
            "frame_id": [a.info["frame_id"] for a in labels],
            "split": ["train"] * 4 + ["validation"] * 2 + ["test"] * 2,
            "label_status": "labelled",
        }
    )
    write_table(work / "lineage.csv", lineage)
    return {"files": files, "lineage": str(work / "lineage.csv"), "frames": labels, "work": work}


def energy_mae(predicted, frames) -> float:
    """meV/atom."""
    errors = [
        abs(p.get_potential_energy() - f.get_potential_energy()) / len(f)
        for p, f in zip(predicted, frames, strict=True)
    ]
    return 1e3 * float(np.mean(errors))


def test_fine_tuned_chgnet_learns_what_its_foundation_misses(shifted, tmp_path):
    block = {"type": "finetune", "dataset": "d", "network": SETTINGS, "foundation_level": CHGNET}
    job = Training(
        "ft", block, shifted["files"], shifted["lineage"], str(tmp_path / "model.json"), LABELS
    )
    fit = train_model(job)
    assert fit["type"] == "finetune" and fit["foundation_level"] == CHGNET
    assert len(fit["history"]["e"]["train"]) == SETTINGS["epochs"]
    model = load_model(tmp_path / "model.json")
    assert model.type == "finetune" and model.info["level"] == CHGNET and not model.pair_styles
    frames = shifted["frames"][4:]  # validation and test: not trained on
    predicted = model.predict(frames)
    # zero-shot, the error is the shift itself (50 meV/atom); fine-tuned, under half of it
    assert energy_mae(predicted, frames) < 0.5 * SHIFT_EV_PER_ATOM * 1e3
    forces = np.concatenate(
        [(p.get_forces() - f.get_forces()).ravel() for p, f in zip(predicted, frames, strict=True)]
    )
    assert np.sqrt(np.mean(forces**2)) < 0.1  # eV/Å: the foundation's forces kept
    # the frozen submodules are the shipped weights, bit for bit; the readout moved
    script = (
        "import sys, torch; from chgnet.model import CHGNet\n"
        "a, b = CHGNet.load(verbose=False), CHGNet.from_file(sys.argv[1])\n"
        "same = lambda m: all(torch.equal(x, y) for x, y in zip(getattr(a, m).parameters(),"
        " getattr(b, m).parameters()))\n"
        f"print(all(same(m) for m in {FROZEN!r}), same('mlp'))\n"
    )
    python = families.interpreter("finetune", CHGNET)
    done = subprocess.run(
        [python, "-c", script, str(tmp_path / "chgnet.pth.tar")], capture_output=True, text=True
    )
    assert done.stdout.split()[-2:] == ["True", "False"], done.stderr[-2000:]


def test_the_learning_curve_sets_fine_tuning_beside_scratch_and_zero_shot(shifted, tmp_path):
    block = {"type": "finetune", "dataset": "d", "network": SETTINGS, "foundation_level": CHGNET}
    model_file = tmp_path / "model.json"
    train_model(
        Training("ft", block, shifted["files"], shifted["lineage"], str(model_file), LABELS)
    )
    curve = {"fractions": [0.5, 1.0], "seed": 0, "scratch": True}
    table = learning_curve_job(
        str(model_file), shifted["files"], curve, tmp_path / "lc.csv", tmp_path / "lc.png"
    )
    test = table[table["split"] == "test"].set_index(["start", "n_train"])
    assert sorted(test.index) == sorted(
        [("zero-shot", 0), ("fine-tuned", 2), ("fine-tuned", 4), ("scratch", 2), ("scratch", 4)]
    )
    # zero-shot: the shift, to the digits extended XYZ keeps
    zero = test.loc[("zero-shot", 0)]
    assert zero["energy_mae_meV_per_atom"] == pytest.approx(1e3 * SHIFT_EV_PER_ATOM, abs=1e-3)
    assert zero["forces_mae_meV_per_A"] < 1e-3
    fine, scratch = test.loc[("fine-tuned", 4)], test.loc[("scratch", 4)]
    assert fine["energy_mae_meV_per_atom"] < zero["energy_mae_meV_per_atom"]
    # random weights after ten epochs on four frames are far from CHGNet's forces
    assert scratch["forces_rmse_meV_per_A"] > 5 * fine["forces_rmse_meV_per_A"]
    assert (tmp_path / "lc.png").stat().st_size > 10_000


#: the family tests' tiny MACE (l_max 0 here: fine-tuning must find it in the file)
MACE_SETTINGS = {**FAMILY_SETTINGS, "l_max": 0}


def test_a_mace_model_file_is_fine_tuned_with_its_own_architecture(tmp_path):
    if families.python_for("mace") is None:
        pytest.skip(families.install_hint("mace"))
    frames = [evaluate(a, SPECIES, TEACHER) for a in rattled(6)]
    write_frames(tmp_path / "train.extxyz", frames[:4])
    write_frames(tmp_path / "validation.extxyz", frames[4:])
    common = {
        "train": str(tmp_path / "train.extxyz"),
        "validation": str(tmp_path / "validation.extxyz"),
    }
    base = tmp_path / "foundation"
    base.mkdir()
    families.run(
        "mace", "train", {"family": "mace", **common, "out": str(base), "settings": MACE_SETTINGS}
    )
    level = {
        "name": "my_mace",
        "block": {
            "calculator": "mace.calculators:MACECalculator",
            "kwargs": {"model_paths": str(base / "training/mace.model"), "device": "cpu"},
            "env": "mace",
        },
    }
    out = tmp_path / "finetuned"
    out.mkdir()
    # settings that differ from the foundation's: fine-tuning must take the foundation's
    settings = {**MACE_SETTINGS, "num_features": 16, "r_max_A": 3.0, "l_max": 1, "epochs": 2}
    args = {"family": "finetune", **common, "out": str(out), "settings": settings}
    args |= families.foundation_args({"type": "finetune", "foundation_level": level})
    record = families.run("finetune", "train", args, level=level)
    assert record["foundation"] == "mace" and record["level"] == level
    log = (out / "training/train.log").read_text()
    assert "Using foundation model" in log
    script = (
        "import sys, torch\n"
        "from mace.tools.scripts_utils import extract_config_mace_model as c\n"
        "a, b = (c(torch.load(p, weights_only=False)) for p in sys.argv[1:])\n"
        "print(a['hidden_irreps'] == b['hidden_irreps'], a['r_max'] == b['r_max'], a['r_max'])\n"
    )
    done = subprocess.run(
        [
            families.python_for("mace"),
            "-c",
            script,
            str(base / "training/mace.model"),
            str(out / record["checkpoint"]),
        ],
        capture_output=True,
        text=True,
    )
    assert done.stdout.split()[-3:] == ["True", "True", "4.0"], done.stderr[-2000:]
    predicted = families.predict(out, frames, "cpu")
    assert all(np.isfinite(p.get_forces()).all() for p in predicted)


@pytest.mark.workflow
@pytest.mark.cp2k
def test_tiny_pipeline_fine_tunes_chgnet_and_runs_it(project):
    needs(CHGNET)
    model = {
        "type": "finetune",
        "level": "chgnet",
        "dataset": "fh",
        "network": {**SETTINGS, "epochs": 2},
        "learning_curve": {"fractions": [1.0]},
        "stages": ["md"],
    }
    config = write_config(
        project, "ft.yaml", "tiny.yaml", models__ft=model, levels_of_theory__chgnet=CHGNET["block"]
    )
    targets = ["results/models/ft/metrics.csv", "results/models/ft/learning_curve.csv"]
    targets += ["results/md/ft/check/verdict.tsv"]
    done = snakemake(project, *targets, "--cores", "2", "--configfile", config)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    out = project / "results/models/ft"
    fit = json.loads((out / "fit.json").read_text())
    level = fit["foundation_level"]  # the level as configured, schema defaults filled in
    assert level["name"] == "chgnet" and level["block"]["calculator"] == "chgnet"
    test = pd.read_csv(out / "metrics.csv").query("split == 'test'").iloc[0]
    frames = read_frames(project / "results/datasets/fh/test.extxyz")
    predicted = families.predict(out, frames, "cpu")
    assert test["energy_mae_meV_per_atom"] == pytest.approx(energy_mae(predicted, frames), rel=1e-4)
    curve = pd.read_csv(out / "learning_curve.csv")
    assert set(curve["start"]) == {"zero-shot", "fine-tuned"}
    verdict = pd.read_csv(project / "results/md/ft/check/verdict.tsv", sep="\t").iloc[0]
    thermo = pd.read_csv(project / "results/md/ft/check/thermo.tsv", sep="\t")
    assert verdict["n_atoms"] == 17
    assert_verdict_matches_thermo(verdict, thermo, protocol_ps=0.1)


def test_a_fine_tuned_committee_gives_its_force_deviation_on_every_frame(shifted, tmp_path):
    network = {**SETTINGS, "epochs": 2}
    block = {"type": "finetune", "dataset": "d", "network": network, "foundation_level": CHGNET}
    block["committee"] = {"members": 2, "seed": 0}
    model_file = tmp_path / "model.json"
    fit = train_model(
        Training("ft", block, shifted["files"], shifted["lineage"], str(model_file), LABELS)
    )
    assert fit["committee"]["member_seeds"] == [2, 3]  # network seed 1, then 1 + 1 + k
    members = committee_members(model_file)
    assert [m.parent.name for m in members] == ["member0", "member1"]
    evaluate_job(
        str(model_file),
        shifted["files"],
        tmp_path / "metrics.csv",
        tmp_path / "parity.png",
        tmp_path / "consistency.csv",
        committee_file=tmp_path / "committee.csv",
    )
    table = pd.read_csv(tmp_path / "committee.csv")
    frames = shifted["frames"]
    assert list(table["frame_id"]) == [a.info["frame_id"] for a in frames]
    # σ_F by hand: per atom, the RMS over members of |F_k - mean F|; the largest atom
    forces = np.array(
        [[p.get_forces() for p in families.predict(m.parent, frames, "cpu")] for m in members]
    )
    deviation = np.sqrt(np.mean(np.sum((forces - forces.mean(axis=0)) ** 2, axis=3), axis=0))
    np.testing.assert_allclose(
        table["sigma_F_max_eV_per_A"], deviation.max(axis=1), rtol=1e-5, atol=1e-7
    )
    assert (table["sigma_F_max_eV_per_A"] > 0).all()  # two seeds, two models


def test_labels_reach_chgnet_in_its_own_conventions(shifted, tmp_path):
    """What the trainer compares CHGNet's outputs with: energy per atom (eV), forces
    (eV/Å) and the stress CHGNet's calculator would turn into the ASE stress (its
    output times ase.units.GPa), so the sign and unit of the conversion are checked."""
    from ase.units import GPa

    frames = shifted["frames"][:2]
    script = (
        "import sys, json\n"
        f"sys.path.insert(0, {str(families.RUNNER.parent)!r})\n"
        "from _chgnet import loader\n"
        "data, stress = loader(sys.argv[1], {'seed': 0, 'batch_size': 2}, False)\n"
        "graphs, targets = next(iter(data))\n"
        "print(json.dumps({k: [t.tolist() for t in v] if isinstance(v, list) else v.tolist()"
        " for k, v in targets.items()}))\n"
    )
    done = subprocess.run(
        [families.interpreter("finetune", CHGNET), "-c", script, shifted["files"]["train"]],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    targets = json.loads(done.stdout.strip().splitlines()[-1])
    for k, atoms in enumerate(frames):
        assert targets["e"][k] == pytest.approx(atoms.get_potential_energy() / len(atoms), 1e-6)
        np.testing.assert_allclose(targets["f"][k], atoms.get_forces(), atol=1e-5)
        expected = atoms.get_stress(voigt=False) / GPa  # CHGNet's output, in GPa
        np.testing.assert_allclose(targets["s"][k], expected, atol=1e-5)


def test_chgnet_fine_tuned_on_a_level_with_another_zero_of_energy(shifted, tmp_path):
    """CP2K's totals of ZIF-4 sit 214 eV/atom below CHGNet's (its pseudopotentials'
    zero, not MPtrj's): the labels here are CHGNet + 50 meV/atom - 214 eV/atom. One
    epoch must already give the energies to well under the 50 meV/atom, the forces
    kept: the per-element references are placed from the training frames first, not
    left to gradient steps that would take the whole run to cross 214 eV/atom."""
    offset = -214.0  # eV/atom
    files = {}
    moved = []
    for source in shifted["frames"]:
        atoms = source.copy()
        results = {"forces": source.get_forces(), "stress": source.get_stress()}
        energy = source.get_potential_energy() + offset * len(atoms)
        atoms.calc = SinglePointCalculator(atoms, energy=energy, **results)
        moved.append(atoms)
    for split, part in (("train", moved[:4]), ("validation", moved[4:6]), ("test", moved[6:])):
        files[split] = str(tmp_path / f"{split}.extxyz")
        write_frames(files[split], part)
    settings = {**SETTINGS, "epochs": 1}
    block = {"type": "finetune", "dataset": "d", "network": settings, "foundation_level": CHGNET}
    job = Training("ft", block, files, shifted["lineage"], str(tmp_path / "model.json"), LABELS)
    fit = train_model(job)
    assert fit["reference_shift_eV_per_atom"] == pytest.approx(offset + SHIFT_EV_PER_ATOM, abs=0.01)
    predicted = load_model(tmp_path / "model.json").predict(moved[4:])
    assert energy_mae(predicted, moved[4:]) < 0.2 * SHIFT_EV_PER_ATOM * 1e3
    forces = np.concatenate(
        [
            (p.get_forces() - f.get_forces()).ravel()
            for p, f in zip(predicted, moved[4:], strict=True)
        ]
    )
    assert np.sqrt(np.mean(forces**2)) < 0.1  # eV/Å


def test_a_killed_chgnet_fine_tuning_goes_on_from_its_last_epoch(shifted, tmp_path):
    """A fine-tuning killed after its first epochs (a job at its time limit), started
    again with the same settings: the trainer goes on from its last epoch's checkpoint,
    with its history, instead of starting at epoch 0; with other settings it starts
    again."""
    import os
    import signal
    import time

    epochs = 12
    args = {
        "family": "finetune",
        **families.foundation_args({"type": "finetune", "foundation_level": CHGNET}),
        "train": shifted["files"]["train"],
        "validation": shifted["files"]["validation"],
        "out": str(tmp_path / "model"),
        "settings": {**SETTINGS, "epochs": epochs, "batch_size": 1},
    }
    Path(args["out"]).mkdir()
    (tmp_path / "args.json").write_text(json.dumps(args))
    python = families.interpreter("finetune", CHGNET)
    first = subprocess.Popen(
        [python, str(families.RUNNER), "train", str(tmp_path / "args.json")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    training = Path(args["out"]) / "training"
    deadline = time.monotonic() + 600
    while not list(training.glob("epoch*.pth.tar")) and time.monotonic() < deadline:
        assert first.poll() is None, "the fine-tuning ended before it could be killed"
        time.sleep(0.05)
    time.sleep(0.2)  # the checkpoint written whole
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    (left,) = training.glob("epoch*.pth.tar")
    done = int(left.name.removeprefix("epoch").split("_")[0]) + 1  # epochs finished
    assert done < epochs

    log = tmp_path / "resumed.log"
    fit = families.run("finetune", "train", args, log_file=log, level=args["level"])
    text = log.read_text()
    assert f"resumed from {left.name}: epoch {done} next" in text
    assert "Epoch: [0][" not in text and f"Epoch: [{done}][" in text
    assert len(fit["history"]["f"]["train"]) == epochs  # the killed run's epochs kept
    # other settings: not the same fit, so not resumed
    other = {**args, "settings": {**args["settings"], "epochs": done + 1}}
    again = families.run("finetune", "train", other, log_file=log, level=args["level"])
    assert len(again["history"]["f"]["train"]) == done + 1
    assert log.read_text().count("resumed from") == 1
