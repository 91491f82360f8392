"""CHGNet fine-tuned from its shipped weights (or trained from random ones) with its own
trainer, its per-element reference energies first placed on the labels' level. Runs in
the level's own Python (no mofglass)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import ase.io
from _common import FIT_KEY, fit_key, same_fit


def loader(path: str, s: dict, shuffle: bool):
    """A CHGNet DataLoader of labelled frames: energies per atom (eV), forces (eV/Å),
    stresses in CHGNet's input convention (VASP's kBar, compression positive)."""
    import torch
    from ase.units import GPa
    from chgnet.data.dataset import StructureData, collate_graphs
    from pymatgen.io.ase import AseAtomsAdaptor
    from torch.utils.data import DataLoader

    frames = ase.io.read(path, ":")
    stress = all("stress" in a.calc.results for a in frames)
    data = StructureData(
        structures=[AseAtomsAdaptor.get_structure(a) for a in frames],
        energies=[a.get_potential_energy() / len(a) for a in frames],
        forces=[a.get_forces() for a in frames],
        # StructureData multiplies by -0.1 (kBar -> GPa, VASP's sign -> ASE's)
        stresses=[-10.0 * a.get_stress(voigt=False) / GPa for a in frames] if stress else None,
        shuffle=False,
    )
    generator = torch.Generator().manual_seed(s["seed"])
    loader = DataLoader(
        data,
        batch_size=s["batch_size"],
        shuffle=shuffle,
        collate_fn=collate_graphs,
        generator=generator,
    )
    return loader, stress


def train(args: dict) -> dict:
    """CHGNet fine-tuned with its own trainer (chgnet.trainer.Trainer) from its shipped
    weights, the frozen submodules (``settings.freeze``) kept; with ``scratch``, the
    same architecture from random weights, all of them trained. Its per-element
    reference energies are placed on the labels' level first (:func:`_references`)
    and kept. The checkpoint of the best validation force MAE is the model. A training
    of the same settings that was stopped (a job killed at its time limit) goes on from
    its last epoch's checkpoint (the trainer's own ``Trainer.load``)."""
    import torch

    s, out = args["settings"], Path(args["out"])
    work = out / "training"
    # where it runs does not change the fit: a retry on another device goes on
    key = fit_key({k: v for k, v in s.items() if k != "device"}, args)
    shifted = work / "reference_shift.json"
    train, stress = loader(args["train"], s, shuffle=True)
    validation, _ = loader(args["validation"], s, shuffle=False)
    trainer = None
    if shifted.is_file() and same_fit(work, key):
        trainer = _resumed(work, [] if args.get("scratch") else s.get("freeze", []))
    if trainer is None:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        torch.manual_seed(s["seed"])
        trainer, shift = _trainer(args, stress)
        shifted.write_text(json.dumps(shift))
        (work / FIT_KEY).write_text(key)
    # the references are placed; trained, Adam would move them by its step size each
    # batch whatever their (vanishing) energy gradient
    trainer.train(train, validation, save_dir=str(work), train_composition_model=False)
    (best,) = work.glob("bestF_*.pth.tar")
    deployed = out / "chgnet.pth.tar"
    shutil.copy(best, deployed)
    history = {k: v for k, v in trainer.training_history.items() if v["train"]}
    return {
        "deployed": deployed.name,
        "checkpoint": deployed.name,
        "history": history,
        "reference_shift_eV_per_atom": json.loads(shifted.read_text()),
    }


def _trainer(args: dict, stress: bool):
    """A new CHGNet trainer of ``args`` (see :func:`train`; ``stress``: whether
    the frames have stresses) and the mean shift of its references (eV/atom)."""
    from chgnet.model import CHGNet
    from chgnet.trainer import Trainer

    s = args["settings"]
    model = CHGNet.load(use_device="cpu", verbose=False)
    if args.get("scratch"):  # every weight random, and every weight trained
        model = CHGNet(**model.model_args)
    for name in [] if args.get("scratch") else s.get("freeze", []):
        for parameter in getattr(model, name).parameters():
            parameter.requires_grad = False
    shift = _references(model, ase.io.read(args["train"], f":{REFERENCE_FRAMES}"))
    trainer = Trainer(
        model=model,
        targets="efs" if stress and s["stress_weight"] > 0 else "ef",
        energy_loss_ratio=s["energy_weight"],
        force_loss_ratio=s["forces_weight"],
        stress_loss_ratio=s["stress_weight"],
        optimizer="Adam",
        scheduler="CosLR",
        criterion="MSE",
        epochs=s["epochs"],
        learning_rate=s["learning_rate"],
        use_device=s["device"],
        torch_seed=s["seed"],
        data_seed=s["seed"],
        print_freq=1000,
    )
    return trainer, shift


def _resumed(work: Path, frozen: list[str]):
    """The trainer of a stopped CHGNet training from its last epoch's checkpoint in
    ``work`` (model, optimiser, schedule, history), the ``frozen`` submodules frozen
    again; None where there is no whole checkpoint (killed while writing it)."""
    from chgnet.trainer import Trainer

    found = sorted(work.glob("epoch*.pth.tar"))
    if not found:
        return None
    try:
        trainer = Trainer.load(str(found[-1]))
    except (RuntimeError, EOFError, KeyError, OSError) as error:
        print(f"not resumed: {found[-1].name} unreadable ({error})", file=sys.stderr)
        return None
    for name in frozen:
        for parameter in getattr(trainer.model, name).parameters():
            parameter.requires_grad = False
    print(f"resumed from {found[-1].name}: epoch {trainer.starting_epoch} next", file=sys.stderr)
    return trainer


#: Training frames whose energies place CHGNet's per-element references.
REFERENCE_FRAMES = 200


def _references(model, frames) -> float:
    """CHGNet's per-element reference energies (its AtomRef) moved by the least-squares
    fit of its own energy errors on ``frames`` (eV/atom), as MACE's ``E0s=estimated``:
    the labels' level may put its zero of energy far from MPtrj's (CP2K's totals of
    ZIF-4 sit 214 eV/atom below CHGNet's), an offset the trainer's gradient steps
    would take the whole run to cross, spoiling the forces meanwhile. A model from
    random weights gets the references fitted outright. Returns the mean shift (eV/atom;
    from random weights, the labels' mean: its references start from zero)."""
    import numpy as np
    import torch
    from pymatgen.io.ase import AseAtomsAdaptor

    structures = [AseAtomsAdaptor.get_structure(a) for a in frames]
    labels = np.array([a.get_potential_energy() / len(a) for a in frames])
    references = model.composition_model
    if not references.fitted:  # from scratch
        references.fit(structures, labels)
        return float(labels.mean())
    predicted = model.predict_structure(structures, task="e", batch_size=4)
    predicted = [predicted] if isinstance(predicted, dict) else predicted
    errors = labels - np.array([p["e"] for p in predicted], dtype=float)
    counts = np.zeros((len(frames), references.max_num_elements))
    for row, atoms in zip(counts, frames, strict=True):
        np.add.at(row, atoms.numbers - 1, 1.0 / len(atoms) if references.is_intensive else 1.0)
    shift = np.linalg.pinv(counts) @ errors  # the least-norm fit: one composition, one shift
    with torch.no_grad():
        references.fc.weight += torch.as_tensor(shift, dtype=references.fc.weight.dtype)
    return float(errors.mean())
