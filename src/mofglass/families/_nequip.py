"""NequIP and Allegro (the NequIP framework, 0.19): the Hydra config of a model, its
training by ``nequip-train`` (resumed from its last checkpoint when stopped) and its
compilation for ASE and LAMMPS. Runs in the family's own Python (no mofglass)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import ase.io
from _common import (
    FIT_KEY,
    attempt_log,
    console_script,
    fit_key,
    run_trainer,
    same_fit,
    species,
)

FAMILIES = ("nequip", "allegro")


def _model(family: str, types: list[str], s: dict) -> dict:
    """The model section: NequIP's or Allegro's architecture of the settings ``s``
    (cutoff ``r_max_A`` in Å), a ZBL core with ``zbl``, then ``extra.model``."""
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
    return model


def _data(types: list[str], s: dict, train: str, val: str) -> dict:
    """The data section: the extended-XYZ files ``train`` and ``val``, their neighbour
    lists within ``r_max_A`` (Å), batches of ``batch_size``."""
    loader = {"_target_": "torch.utils.data.DataLoader", "batch_size": s["batch_size"]}
    return {
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
    }


def _trainer(s: dict) -> dict:
    """Lightning's trainer: ``epochs`` on ``device``, a CSV log, the best and the last
    checkpoint by the weighted validation loss."""
    return {
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
    }


def _training_module(s: dict, model: dict) -> dict:
    """The loss (energy per atom, forces, and stress where its weight is positive), the
    validation metrics of the same weights, Adam at ``learning_rate``."""
    loss_coeffs = {"total_energy": s["energy_weight"], "forces": s["forces_weight"]}
    metric_coeffs = {"total_energy_mae": s["energy_weight"], "forces_mae": s["forces_weight"]}
    loss = "EnergyForceLoss"
    if s["stress_weight"] > 0:
        loss = "EnergyForceStressLoss"
        loss_coeffs["stress"] = s["stress_weight"]
    return {
        "_target_": "nequip.train.NequIPLightningModule",
        "loss": {
            "_target_": f"nequip.train.{loss}",
            "per_atom_energy": True,
            "coeffs": loss_coeffs,
        },
        "val_metrics": {"_target_": "nequip.train.EnergyForceMetrics", "coeffs": metric_coeffs},
        "optimizer": {"_target_": "torch.optim.Adam", "lr": s["learning_rate"]},
        "model": model,
    }


def config(family: str, types: list[str], s: dict, train: str, val: str) -> dict:
    """The NequIP-framework (Hydra) config of a NequIP or Allegro model of the elements
    ``types`` and the settings ``s``, trained on ``train`` and validated on ``val``."""
    types = list(types)
    return {
        "run": ["train"],
        "data": _data(types, s, train, val),
        "trainer": _trainer(s),
        "training_module": _training_module(s, _model(family, types, s)),
        "global_options": {"allow_tf32": False},
    }


def train(args: dict) -> dict:
    """NequIP or Allegro trained by ``nequip-train``; a training of the same settings
    that was stopped (a job killed at its time limit) goes on from its last epoch's
    checkpoint (Lightning's ``last.ckpt``) instead of starting again."""
    family, s, out = args["family"], args["settings"], Path(args["out"])
    frames = ase.io.read(args["train"], ":")
    settings = config(family, species(frames), s, args["train"], args["validation"])
    work = out / "training"
    text = json.dumps(settings, indent=1)  # Hydra reads YAML; JSON is YAML
    last, key = work / "last.ckpt", fit_key(settings, args)
    resume = last.is_file() and same_fit(work, key)
    if not resume:
        shutil.rmtree(work, ignore_errors=True)
        (work / "config").mkdir(parents=True)
        (work / "config" / "train.yaml").write_text(text)
        (work / FIT_KEY).write_text(key)
    command = [console_script("nequip-train"), "-cp", str(work / "config"), "-cn", "train"]
    command += [f"hydra.run.dir={work}"] + ([f"++ckpt_path={last}"] if resume else [])
    run_trainer(command, attempt_log(work, resume), s["epochs"])
    checkpoint = work / "best.ckpt"
    deployed = out / "model.nequip.pt2"
    if not args.get("deploy", True):
        return {"deployed": None, "checkpoint": str(checkpoint.relative_to(out))}
    run_trainer(
        [console_script("nequip-compile"), str(checkpoint), str(deployed), "--mode", "aotinductor"]
        + ["--device", s["device"], "--target", "ase"],
        work / "compile.log",
    )
    record = {"deployed": deployed.name, "checkpoint": str(checkpoint.relative_to(out))}
    if args.get("lammps"):  # for pair_nequip / pair_allegro (pair_nequip_allegro)
        lammps = out / "model.lammps.nequip.pt2"
        run_trainer(
            [
                console_script("nequip-compile"),
                str(checkpoint),
                str(lammps),
                "--mode",
                "aotinductor",
            ]
            + ["--device", s["device"], "--target", f"pair_{family}"],
            work / "compile_lammps.log",
        )
        record["lammps_deployed"] = lammps.name
    return record
