"""MACE trained from scratch or fine-tuned from its foundation model by
``mace_run_train``, and compiled for ASE and LAMMPS's ML-MACE. Runs in the family's
own Python (no mofglass)."""

from __future__ import annotations

import shutil
from pathlib import Path

import ase.io
from _common import console_script, fine_tunes, run_trainer


def _architecture(s: dict) -> list[str]:
    """mace_run_train options of a MACE trained from scratch (E0s: the training
    frames' average energy per atom)."""
    return [
        f"--r_max={s['r_max_A']}",
        f"--num_interactions={s['num_layers']}",
        f"--max_L={s['l_max']}",
        f"--num_channels={s['num_features']}",
        f"--correlation={s['correlation']}",
        "--E0s=average",
    ]


def _foundation(spec: dict) -> list[str]:
    """mace_run_train options that fine-tune the MACE model file of a level (its
    calculator's ``model_paths`` or ``model``): its architecture, cutoff and weights,
    and E0s estimated from its own errors on the training frames."""
    import torch
    from mace.tools.scripts_utils import extract_config_mace_model

    kwargs = spec.get("kwargs", {})
    path = kwargs.get("model_paths") or kwargs.get("model")
    if isinstance(path, list):
        (path,) = path
    if not path or not Path(path).is_file():
        raise SystemExit(f"fine-tuning MACE needs its model file (model_paths): {path!r}")
    foundation = torch.load(path, map_location="cpu", weights_only=False)
    lmax = extract_config_mace_model(foundation)["hidden_irreps"].lmax
    return [f"--foundation_model={path}", f"--max_L={lmax}", "--E0s=estimated"]


def train(args: dict) -> dict:
    """MACE trained, or fine-tuned from its foundation, by ``mace_run_train``. A stopped
    training starts again: MACE 0.3.16's ``--restart_latest`` found its checkpoint but
    validated and trained from fresh weights (the same initial loss to the last digit
    as a fresh start, a test of 2026-12-07), so it is not used."""
    s, out = args["settings"], Path(args["out"])
    work = out / "training"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    paths = {}
    for split in ("train", "validation"):
        frames = ase.io.read(args[split], ":")
        for a in frames:  # MACE reads labels from REF_ keys, never from a calculator
            a.info["REF_energy"] = a.get_potential_energy()
            a.arrays["REF_forces"] = a.get_forces()
            if "stress" in a.calc.results:
                a.info["REF_stress"] = a.get_stress(voigt=False)
            a.calc = None
        paths[split] = work / f"{split}.extxyz"
        ase.io.write(paths[split], frames, format="extxyz")
    command = [
        console_script("mace_run_train"),
        "--name=mace",
        f"--work_dir={work}",
        f"--train_file={paths['train']}",
        f"--valid_file={paths['validation']}",
        "--energy_key=REF_energy",
        "--forces_key=REF_forces",
        "--stress_key=REF_stress",
        "--model=MACE",
        *(_foundation(args["spec"]) if fine_tunes(args) else _architecture(s)),
        f"--max_num_epochs={s['epochs']}",
        f"--batch_size={s['batch_size']}",
        f"--valid_batch_size={s['batch_size']}",
        f"--lr={s['learning_rate']}",
        f"--energy_weight={s['energy_weight']}",
        f"--forces_weight={s['forces_weight']}",
        f"--stress_weight={s['stress_weight']}",
        "--loss=" + ("stress" if s["stress_weight"] > 0 else "weighted"),
        f"--seed={s['seed']}",
        f"--device={s['device']}",
        "--default_dtype=float64",
        "--eval_interval=1",
        "--save_cpu",
    ]
    command += [f"--{k}={v}" for k, v in s.get("extra", {}).get("mace", {}).items()]
    run_trainer(command, work / "train.log", s["epochs"])
    model = work / "mace.model"
    deployed = out / "mace.compiled.model"  # TorchScript: ASE and LAMMPS's ML-MACE
    shutil.copy(work / "mace_compiled.model", deployed)
    record = {"deployed": deployed.name, "checkpoint": str(model.relative_to(out))}
    if args.get("lammps"):  # for LAMMPS's ML-MACE (pair_style mace)
        run_trainer(
            [console_script("mace_create_lammps_model"), str(model)], work / "lammps_model.log"
        )
        lammps = out / "mace.model-lammps.pt"
        shutil.copy(work / "mace.model-lammps.pt", lammps)
        record["lammps_deployed"] = lammps.name
    return record
