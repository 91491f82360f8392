"""Train and evaluate NequIP, Allegro and MACE models inside their own environments.

This file runs with a model family's Python (``.venvs/nequip`` or ``.venvs/mace``, or
the family's conda environment), which has the family's package, torch and ASE but
not mofglass: it imports nothing from mofglass. mofglass calls it as a subprocess
(:mod:`mofglass.families`) with JSON arguments and reads back extended-XYZ files.

    python runner.py train   ARGS.json   # the family's own trainer, then deployment
    python runner.py predict ARGS.json   # energy, forces, stress of frames
    python runner.py md      ARGS.json   # ASE molecular dynamics of protocol stages
    python runner.py inspect ARGS.json   # what a published (deployed) archive holds

Units: eV, Å, fs, K (ASE's). Labels are read from the frames' ASE results.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import ase.io
import numpy as np
from ase.calculators.calculator import Calculator, all_changes

NEQUIP_FAMILIES = ("nequip", "allegro")


def _bin(name: str) -> str:
    """A console script of this environment."""
    return str(Path(sys.executable).parent / name)


def _species(frames) -> list[str]:
    return sorted({s for a in frames for s in a.get_chemical_symbols()})


# --- training --------------------------------------------------------------------------


def nequip_config(family: str, species: list[str], s: dict, train: str, val: str) -> dict:
    """The NequIP-framework (Hydra) config of a NequIP or Allegro model."""
    types = list(species)
    common = {
        "seed": s["seed"],
        "model_dtype": "float32",
        "type_names": types,
        "r_max": s["r_max_A"],
        "num_layers": s["num_layers"],
        "l_max": s["l_max"],
        "parity": s["parity"],
        "avg_num_neighbors": "${training_data_stats:num_neighbors_mean}",
        "per_type_energy_scales": "${training_data_stats:per_type_forces_rms}",
        "per_type_energy_shifts": "${training_data_stats:per_atom_energy_mean}",
    }
    if family == "nequip":
        model = {
            "_target_": "nequip.model.NequIPGNNModel",
            **common,
            "num_features": s["num_features"],
            "radial_mlp_depth": s["radial_mlp_depth"],
            "radial_mlp_width": s["radial_mlp_width"],
        }
    else:
        model = {
            "_target_": "allegro.model.AllegroModel",
            **common,
            "radial_chemical_embed": {
                "_target_": "allegro.nn.TwoBodyBesselScalarEmbed",
                "num_bessels": 8,
            },
            "radial_chemical_embed_dim": s["num_features"],
            "scalar_embed_mlp_hidden_layers_width": s["radial_mlp_width"],
            "num_scalar_features": s["num_features"],
            "num_tensor_features": s["num_tensor_features"],
            "allegro_mlp_hidden_layers_width": s["radial_mlp_width"],
            "readout_mlp_hidden_layers_width": s["radial_mlp_width"],
        }
    if s.get("zbl"):
        model["pair_potential"] = {
            "_target_": "nequip.nn.pair_potential.ZBL",
            "units": "metal",
            "chemical_species": types,
        }
    model.update(s.get("extra", {}).get("model", {}))
    loss_coeffs = {"total_energy": s["energy_weight"], "forces": s["forces_weight"]}
    metric_coeffs = {"total_energy_mae": s["energy_weight"], "forces_mae": s["forces_weight"]}
    loss = "EnergyForceLoss"
    if s["stress_weight"] > 0:
        loss = "EnergyForceStressLoss"
        loss_coeffs["stress"] = s["stress_weight"]
    loader = {"_target_": "torch.utils.data.DataLoader", "batch_size": s["batch_size"]}
    return {
        "run": ["train"],
        "data": {
            "_target_": "nequip.data.datamodule.ASEDataModule",
            "seed": s["seed"],
            "train_file_path": train,
            "val_file_path": val,
            "transforms": [
                {
                    "_target_": "nequip.data.transforms.ChemicalSpeciesToAtomTypeMapper",
                    "model_type_names": types,
                    "chemical_species_to_atom_type_map": {t: t for t in types},
                },
                {
                    "_target_": "nequip.data.transforms.NeighborListTransform",
                    "r_max": s["r_max_A"],
                },
            ],
            "train_dataloader": {**loader, "shuffle": True},
            "val_dataloader": loader,
            "stats_manager": {
                "_target_": "nequip.data.CommonDataStatisticsManager",
                "type_names": types,
            },
        },
        "trainer": {
            "_target_": "lightning.Trainer",
            "accelerator": "gpu" if s["device"] == "cuda" else "cpu",
            "max_epochs": s["epochs"],
            "logger": {
                "_target_": "lightning.pytorch.loggers.CSVLogger",
                "save_dir": "${hydra:runtime.output_dir}",
            },
            "enable_progress_bar": False,
            "callbacks": [
                {
                    "_target_": "lightning.pytorch.callbacks.ModelCheckpoint",
                    "dirpath": "${hydra:runtime.output_dir}",
                    "monitor": "val0_epoch/weighted_sum",
                    "filename": "best",
                    "save_last": True,
                }
            ],
        },
        "training_module": {
            "_target_": "nequip.train.NequIPLightningModule",
            "loss": {
                "_target_": f"nequip.train.{loss}",
                "per_atom_energy": True,
                "coeffs": loss_coeffs,
            },
            "val_metrics": {"_target_": "nequip.train.EnergyForceMetrics", "coeffs": metric_coeffs},
            "optimizer": {"_target_": "torch.optim.Adam", "lr": s["learning_rate"]},
            "model": model,
        },
        "global_options": {"allow_tf32": False},
    }


def train_nequip(args: dict) -> dict:
    """NequIP or Allegro trained by ``nequip-train``; a training of the same settings
    that was stopped (a job killed at its time limit) goes on from its last epoch's
    checkpoint (Lightning's ``last.ckpt``) instead of starting again."""
    family, s, out = args["family"], args["settings"], Path(args["out"])
    frames = ase.io.read(args["train"], ":")
    config = nequip_config(family, _species(frames), s, args["train"], args["validation"])
    work = out / "training"
    text = json.dumps(config, indent=1)  # Hydra reads YAML; JSON is YAML
    last, key = work / "last.ckpt", _fit_key(config, args)
    resume = last.is_file() and _same_fit(work, key)
    if not resume:
        shutil.rmtree(work, ignore_errors=True)
        (work / "config").mkdir(parents=True)
        (work / "config" / "train.yaml").write_text(text)
        (work / FIT_KEY).write_text(key)
    command = [_bin("nequip-train"), "-cp", str(work / "config"), "-cn", "train"]
    command += [f"hydra.run.dir={work}"] + ([f"++ckpt_path={last}"] if resume else [])
    _run(command, _attempt_log(work, resume), s["epochs"])
    checkpoint = work / "best.ckpt"
    deployed = out / "model.nequip.pt2"
    if not args.get("deploy", True):
        return {"deployed": None, "checkpoint": str(checkpoint.relative_to(out))}
    _run(
        [_bin("nequip-compile"), str(checkpoint), str(deployed), "--mode", "aotinductor"]
        + ["--device", s["device"], "--target", "ase"],
        work / "compile.log",
    )
    record = {"deployed": deployed.name, "checkpoint": str(checkpoint.relative_to(out))}
    if args.get("lammps"):  # for pair_nequip / pair_allegro (pair_nequip_allegro)
        lammps = out / "model.lammps.nequip.pt2"
        _run(
            [_bin("nequip-compile"), str(checkpoint), str(lammps), "--mode", "aotinductor"]
            + ["--device", s["device"], "--target", f"pair_{family}"],
            work / "compile_lammps.log",
        )
        record["lammps_deployed"] = lammps.name
    return record


#: The file in a training folder that names the fit it holds (:func:`_fit_key`).
FIT_KEY = "fit.key"


def _fit_key(settings: dict, args: dict) -> str:
    """What makes a fit the same fit: its settings, its start (``scratch``) and the
    contents (SHA-256) of its training and validation files; a stopped fit goes on only
    where this is unchanged."""
    import hashlib

    files = {
        k: hashlib.sha256(Path(args[k]).read_bytes()).hexdigest() for k in ("train", "validation")
    }
    return json.dumps({"settings": settings, "scratch": bool(args.get("scratch")), **files})


def _attempt_log(work: Path, resumed: bool) -> Path:
    """The trainer's log of this attempt; a resumed one beside the earlier ones."""
    attempts = len(list(work.glob("train*.log")))
    return work / (f"train.resumed{attempts}.log" if resumed else "train.log")


def _same_fit(work: Path, key: str) -> bool:
    """Whether the training folder ``work`` holds the fit named ``key``."""
    return (work / FIT_KEY).is_file() and (work / FIT_KEY).read_text() == key


def _fine_tunes(args: dict) -> bool:
    """Whether a training starts from a foundation model (not its scratch twin)."""
    return bool(args.get("spec")) and not args.get("scratch")


def _mace_architecture(s: dict) -> list[str]:
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


def _mace_foundation(spec: dict) -> list[str]:
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


def train_mace(args: dict) -> dict:
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
        _bin("mace_run_train"),
        "--name=mace",
        f"--work_dir={work}",
        f"--train_file={paths['train']}",
        f"--valid_file={paths['validation']}",
        "--energy_key=REF_energy",
        "--forces_key=REF_forces",
        "--stress_key=REF_stress",
        "--model=MACE",
        *(_mace_foundation(args["spec"]) if _fine_tunes(args) else _mace_architecture(s)),
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
    _run(command, work / "train.log", s["epochs"])
    model = work / "mace.model"
    deployed = out / "mace.compiled.model"  # TorchScript: ASE and LAMMPS's ML-MACE
    shutil.copy(work / "mace_compiled.model", deployed)
    record = {"deployed": deployed.name, "checkpoint": str(model.relative_to(out))}
    if args.get("lammps"):  # for LAMMPS's ML-MACE (pair_style mace)
        _run([_bin("mace_create_lammps_model"), str(model)], work / "lammps_model.log")
        lammps = out / "mace.model-lammps.pt"
        shutil.copy(work / "mace.model-lammps.pt", lammps)
        record["lammps_deployed"] = lammps.name
    return record


def _chgnet_loader(path: str, s: dict, shuffle: bool):
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


def train_chgnet(args: dict) -> dict:
    """CHGNet fine-tuned with its own trainer (chgnet.trainer.Trainer) from its shipped
    weights, the frozen submodules (``settings.freeze``) kept; with ``scratch``, the
    same architecture from random weights, all of them trained. Its per-element
    reference energies are placed on the labels' level first (:func:`_chgnet_references`)
    and kept. The checkpoint of the best validation force MAE is the model. A training
    of the same settings that was stopped (a job killed at its time limit) goes on from
    its last epoch's checkpoint (the trainer's own ``Trainer.load``)."""
    import torch

    s, out = args["settings"], Path(args["out"])
    work = out / "training"
    # where it runs does not change the fit: a retry on another device goes on
    key = _fit_key({k: v for k, v in s.items() if k != "device"}, args)
    shifted = work / "reference_shift.json"
    train, stress = _chgnet_loader(args["train"], s, shuffle=True)
    validation, _ = _chgnet_loader(args["validation"], s, shuffle=False)
    trainer = None
    if shifted.is_file() and _same_fit(work, key):
        trainer = _chgnet_resumed(work, [] if args.get("scratch") else s.get("freeze", []))
    if trainer is None:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        torch.manual_seed(s["seed"])
        trainer, shift = _chgnet_trainer(args, stress)
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


def _chgnet_trainer(args: dict, stress: bool):
    """A new CHGNet trainer of ``args`` (see :func:`train_chgnet`; ``stress``: whether
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
    shift = _chgnet_references(model, ase.io.read(args["train"], f":{REFERENCE_FRAMES}"))
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


def _chgnet_resumed(work: Path, frozen: list[str]):
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


def _chgnet_references(model, frames) -> float:
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


#: The fine-tuners of foundation models, by the module of their level's calculator
#: (mofglass.families.FINETUNABLE).
FINETUNERS = {"chgnet": train_chgnet, "mace": train_mace}


#: An epoch number in a trainer's log: NequIP's "Epoch 3:", MACE's "Epoch 3", CHGNet's
#: "Epoch: [3]".
EPOCH = re.compile(r"Epoch\W{0,3}(\d+)")


def _run(command: list[str], log: Path, epochs: int | None = None) -> None:
    """Run a trainer with its output in ``log``; every 2 s, the last epoch its log names
    goes to mofglass as a progress line (of ``epochs``)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(log, "w") as handle:
        proc = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env)
        while proc.poll() is None:
            time.sleep(2.0)
            found = EPOCH.findall(log.read_text(errors="replace")[-20000:]) if epochs else []
            if found:
                done_total = json.dumps({"done": min(int(found[-1]), epochs), "total": epochs})
                print(f"MOFGLASS_PROGRESS {done_total}", file=sys.stderr, flush=True)
    if proc.returncode:
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"{Path(command[0]).name} failed ({proc.returncode}); {log}:\n{tail}")


# --- calculators ------------------------------------------------------------------------


#: What a TorchScript archive of NequIP/Allegro 0.5.x (``nequip-deploy``) carries beside
#: the model: its species in type order, cutoff (Å) and the versions it was built with.
DEPLOYED_METADATA = ("type_names", "r_max", "n_species", "nequip_version", "torch_version")


def load_deployed(path: str, device: str = "cpu"):
    """A 0.5.x deployed archive and its metadata (strings)."""
    import torch

    extra = dict.fromkeys(DEPLOYED_METADATA, "")
    model = torch.jit.load(path, map_location=device, _extra_files=extra)
    return model, {k: v.decode() if isinstance(v, bytes) else v for k, v in extra.items()}


class DeployedNequIP(Calculator):
    """ASE calculator of a NequIP/Allegro 0.5.x archive, as ``pair_style nequip`` feeds
    it: a full neighbour list within r_max (matscipy), each edge i -> j with its integer
    cell shift S (r_j - r_i + S cell), positions and cell in the model's float32.
    Written here because NequIP 0.19's calculator reads only its own compiled format.
    Energies eV, forces eV/Å, stress eV/Å³ (ASE's sign and Voigt order)."""

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(self, path: str, device: str = "cpu"):
        super().__init__()
        self.model, self.metadata = load_deployed(path, device)
        self.device = device
        self.types = {s: k for k, s in enumerate(self.metadata["type_names"].split())}
        self.r_max = float(self.metadata["r_max"])

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        import torch
        from matscipy.neighbours import neighbour_list

        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        unknown = sorted(set(atoms.get_chemical_symbols()) - set(self.types))
        if unknown:
            raise ValueError(f"the archive knows {sorted(self.types)}, not {unknown}")
        i, j, shift = neighbour_list("ijS", atoms, self.r_max)
        f32 = {"dtype": torch.float32, "device": self.device}
        types = [self.types[s] for s in atoms.get_chemical_symbols()]
        data = {
            "pos": torch.tensor(atoms.positions, **f32),
            "edge_index": torch.tensor(np.vstack([i, j]), dtype=torch.long, device=self.device),
            "edge_cell_shift": torch.tensor(shift, **f32),
            "cell": torch.tensor(np.asarray(atoms.cell), **f32),
            "pbc": torch.tensor(atoms.pbc, dtype=torch.bool, device=self.device),
            "atom_types": torch.tensor(types, dtype=torch.long, device=self.device),
        }
        out = self.model(data)
        energy = float(out["total_energy"].detach().cpu().reshape(-1)[0])
        self.results = {
            "energy": energy,
            "free_energy": energy,
            "forces": out["forces"].detach().cpu().double().numpy(),
        }
        if "stress" in out and atoms.cell.rank == 3:
            sigma = out["stress"].detach().cpu().double().numpy().reshape(3, 3)
            self.results["stress"] = sigma[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]


def _level_runner():
    """calculators/runner.py, standalone like this file: how a calculator level (and so
    a foundation model) builds its ASE calculator, in one place."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "calculators" / "runner.py"
    spec = importlib.util.spec_from_file_location("mofglass_level_runner", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def inspect(args: dict) -> dict:
    """The metadata of a deployed archive, and that it loads here."""
    _, metadata = load_deployed(args["file"], args.get("device", "cpu"))
    return metadata


def calculator(family: str, model_dir: Path, record: dict, device: str, own: bool = False):
    """The deployed model's ASE calculator; ``own``: the trainer's model instead (NequIP
    and Allegro: the checkpoint, eager; MACE: the saved model, float64). A published
    archive is its own deployment."""
    if family == "published":
        return DeployedNequIP(str(model_dir / record["deployed"]), device)
    if family == "foundation":  # built as its level builds it (calculators/runner.py)
        return _level_runner().make_calculator(record["spec"])
    if family == "finetune" and record["foundation"] == "chgnet":
        from chgnet.model import CHGNet
        from chgnet.model.dynamics import CHGNetCalculator

        model = CHGNet.from_file(str(model_dir / record["deployed"]))
        return CHGNetCalculator(model=model, use_device=device)
    if family in NEQUIP_FAMILIES:
        from nequip.integrations.ase import NequIPCalculator

        if own:
            return NequIPCalculator._from_saved_model(
                str(model_dir / record["checkpoint"]), device=device
            )
        return NequIPCalculator.from_compiled_model(str(model_dir / record["deployed"]), device)
    from mace.calculators import MACECalculator

    path = record["checkpoint"] if own else record["deployed"]
    return MACECalculator(model_paths=str(model_dir / path), device=device, default_dtype="float64")


def predict(args: dict) -> dict:
    from ase.calculators.singlepoint import SinglePointCalculator

    model_dir = Path(args["model_dir"])
    record = json.loads((model_dir / "family.json").read_text())
    calc = calculator(record["family"], model_dir, record, args["device"], args.get("own", False))
    out = []
    start = time.perf_counter()
    for atoms in ase.io.read(args["frames"], ":"):
        info = dict(atoms.info)
        atoms.calc = calc
        results = {"energy": atoms.get_potential_energy(), "forces": atoms.get_forces()}
        if all(atoms.pbc):
            results["stress"] = atoms.get_stress()
        atoms.calc = SinglePointCalculator(atoms, **results)
        atoms.info = info
        out.append(atoms)
    ase.io.write(args["out"], out, format="extxyz")
    return {"seconds": time.perf_counter() - start, "frames": len(out)}


def _device(requested: str) -> str:
    if requested != "auto":
        return requested
    try:
        import torch
    except ImportError:  # a foundation model's calculator without torch: its own choice
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


# --- molecular dynamics ----------------------------------------------------------------


def _set_target(dyn, temperature_K: float) -> None:
    """Move a Nose-Hoover chain's target temperature, masses included, as LAMMPS's
    fix nvt does during a ramp. ASE has no public setter; these are its fields."""
    from ase.units import kB

    thermostat = dyn._thermostat
    thermostat._kT = kB * temperature_K
    thermostat._Q[0] = 3 * thermostat._num_atoms_global * thermostat._kT * thermostat._tdamp**2
    thermostat._Q[1:] = thermostat._kT * thermostat._tdamp**2


def _npt(atoms, st: dict, dt: float, tdamp: float, pdamp: float):
    """ASE's MTK barostat with Nose-Hoover chains at constant pressure: the whole cell
    (``tri``), its three lengths (``aniso``) or its volume (``iso``)."""
    from ase.md.nose_hoover_chain import MTKNPT, IsotropicMTKNPT, MaskedMTKNPT
    from ase.units import GPa

    if st.get("pressure_end_GPa") not in (None, st["pressure_GPa"]):
        raise SystemExit(f"stage {st['name']}: the ASE engine has no pressure ramps")
    common = {
        "timestep": dt,
        "temperature_K": st["temperature_K"],
        "pressure_au": st["pressure_GPa"] * GPa,
        "tdamp": tdamp,
        "pdamp": pdamp,
    }
    if st["cell"] == "iso":
        return IsotropicMTKNPT(atoms, **common)
    if st["cell"] == "aniso":
        return MaskedMTKNPT(atoms, mask=(True, True, True), **common)
    return MTKNPT(atoms, **common)


def lammps_cell(cell) -> list[float]:
    """lx, ly, lz, xy, xz, yz (Å) of a cell: LAMMPS's lower-triangular form of it."""
    from ase.geometry import cell_to_cellpar, cellpar_to_cell

    h = cellpar_to_cell(cell_to_cellpar(cell))  # a along x, b in the xy plane
    return [h[0, 0], h[1, 1], h[2, 2], h[1, 0], h[2, 0], h[2, 1]]


def md(args: dict) -> dict:
    """Run protocol stages (NVT Nose-Hoover chains with linear ramps, NPT with the MTK
    barostat, NVE, or a minimisation at fixed cell: :func:`_minimize`) with ASE.

    Writes ``thermo.tsv`` (stage, step, time_ps, temperature_K, pressure_GPa,
    volume_A3, potential_energy_eV, kinetic_energy_eV, total_energy_eV, and the cell
    lx_A, ly_A, lz_A, xy_A, xz_A, yz_A) every
    ``thermo_every`` steps, and frames every ``dump_every`` steps to
    ``trajectory.extxyz``. A stage stops when T exceeds ``max_temperature_K``.
    """
    from ase.md.nose_hoover_chain import NoseHooverChainNVT
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
    from ase.md.verlet import VelocityVerlet
    from ase.units import GPa, fs

    model_dir = Path(args["model_dir"])
    record = json.loads((model_dir / "family.json").read_text())
    out = Path(args["out"])
    out.mkdir(parents=True, exist_ok=True)
    atoms = ase.io.read(args["structure"])
    atoms.calc = calculator(record["family"], model_dir, record, args["device"])
    first = (
        args.get("initial_temperature_K")
        or next(st for st in args["stages"] if st["ensemble"] in ("nvt", "npt"))["temperature_K"]
    )
    MaxwellBoltzmannDistribution(
        atoms, temperature_K=first, rng=np.random.default_rng(args["seed"]), force_temp=True
    )
    Stationary(atoms)
    rows, step, verdict, reason = [], 0, "ok", ""
    trajectory = out / "trajectory.extxyz"
    trajectory.unlink(missing_ok=True)
    start = time.perf_counter()

    def thermo(stage_name: str) -> float:
        epot, ekin = atoms.get_potential_energy(), atoms.get_kinetic_energy()
        temperature = atoms.get_temperature()
        pressure = -np.trace(atoms.get_stress(voigt=False)) / 3 / GPa
        rows.append(
            [stage_name, step, step_time[0] / 1000.0, temperature, pressure, atoms.get_volume()]
            + [epot, ekin, epot + ekin]
            + lammps_cell(atoms.cell)
        )
        return temperature

    step_time = [0.0]
    dynamic = [st for st in args["stages"] if st["ensemble"] != "minimize"]
    total_fs = sum(st["steps"] * st["timestep_fs"] for st in dynamic)
    last_marker = [-np.inf]
    for st in args["stages"]:
        if st["ensemble"] == "minimize":  # no time passes, as in LAMMPS's thermo
            thermo(st["name"])
            _minimize(atoms, st["steps"])
            thermo(st["name"])
            continue
        dt = st["timestep_fs"] * fs
        if st["ensemble"] == "nve":
            dyn = VelocityVerlet(atoms, timestep=dt)
        elif st["ensemble"] == "nvt":
            dyn = NoseHooverChainNVT(
                atoms, timestep=dt, temperature_K=st["temperature_K"], tdamp=args["tdamp_fs"] * fs
            )
        else:
            dyn = _npt(atoms, st, dt, args["tdamp_fs"] * fs, args["pdamp_fs"] * fs)
        t0, t1 = st["temperature_K"], st.get("temperature_end_K") or st["temperature_K"]
        n, every = st["steps"], st["thermo_every"]
        thermo(st["name"])
        done = 0
        while done < n:
            chunk = min(every, n - done)
            if st["ensemble"] != "nve" and t1 != t0:
                _set_target(dyn, t0 + (t1 - t0) * (done + chunk / 2) / n)
            dyn.run(chunk)
            done += chunk
            step += chunk
            step_time[0] += chunk * st["timestep_fs"]
            temperature = thermo(st["name"])
            if time.perf_counter() - last_marker[0] > 2.0 or step_time[0] >= total_fs:
                # how far the run is, for mofglass's progress line (mofglass.progress)
                last_marker[0] = time.perf_counter()
                done_total = json.dumps({"done": step_time[0] / 1000, "total": total_fs / 1000})
                print(f"MOFGLASS_PROGRESS {done_total}", file=sys.stderr, flush=True)
            if done % st["dump_every"] == 0 or done == n:
                frame = atoms.copy()
                frame.calc = None
                frame.info.update(step=step, time_ps=step_time[0] / 1000.0)
                ase.io.write(trajectory, frame, format="extxyz", append=True)
            limit = args.get("max_temperature_factor")
            target = max(t0, t1) if st["ensemble"] != "nve" else None
            if limit and target and temperature > limit * target:
                verdict = "failed"
                reason = f"stage {st['name']}: temperature above {limit * target:g} K (runaway)"
                break
            if not np.isfinite(temperature):
                verdict, reason = "failed", f"stage {st['name']}: non-finite temperature"
                break
        if verdict == "failed":
            break
    columns = "stage step time_ps temperature_K pressure_GPa volume_A3".split()
    columns += ["potential_energy_eV", "kinetic_energy_eV", "total_energy_eV"]
    columns += ["lx_A", "ly_A", "lz_A", "xy_A", "xz_A", "yz_A"]
    lines = ["\t".join(columns)] + ["\t".join(str(v) for v in row) for row in rows]
    (out / "thermo.tsv").write_text("\n".join(lines) + "\n")
    return {"verdict": verdict, "reason": reason, "seconds": time.perf_counter() - start}


def _minimize(atoms, iterations: int) -> None:
    """Relax the positions at fixed cell: ASE's FIRE for at most ``iterations`` steps, or
    until no atom's force is above 1e-4 eV/Å (LAMMPS's ``minimize 0.0 1.0e-4`` of the
    same stage stops at a global force norm of 1e-4 eV/Å: its cap on iterations is what
    ends a short minimisation in both). The velocities are kept, as LAMMPS keeps them."""
    from ase.optimize import FIRE

    momenta = atoms.get_momenta()
    FIRE(atoms, logfile=None).run(fmax=1e-4, steps=iterations)
    atoms.set_momenta(momenta)


def main() -> None:
    command, path = sys.argv[1], sys.argv[2]
    args = json.loads(Path(path).read_text())
    if "settings" in args:
        args["settings"]["device"] = _device(args["settings"].get("device", "auto"))
    if "device" in args:
        args["device"] = _device(args["device"])
    if command == "train":
        train = train_nequip if args["family"] in NEQUIP_FAMILIES else train_mace
        extra = {}
        if args["family"] == "finetune":
            # the level it started from: mofglass runs it with that level's Python
            extra = {"foundation": args["foundation"], "level": args["level"]}
            train = FINETUNERS[args["foundation"]]
        result = {"family": args["family"], **extra, **train(args)}
        Path(args["out"], "family.json").write_text(json.dumps(result, indent=2) + "\n")
    elif command == "predict":
        result = predict(args)
    elif command == "md":
        result = md(args)
    elif command == "inspect":
        result = inspect(args)
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
