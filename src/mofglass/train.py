"""Fitting a model on a dataset's splits and writing it as a model directory, for the
training stage and the active-learning loop alike.

Every model type writes the same files into its directory: ``model.json`` and
``pair.lammps`` (see :mod:`mofglass.models`) with the model's own files, ``fit.json``
(hyper-parameters) and ``lineage.csv`` (the dataset's lineage plus which frames the
model used and how).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from ase import Atoms
from ase.data import atomic_numbers
from ase.units import GPa

from . import chemistry, snap
from .atomicio import read_frames, read_table, write_frames, write_table, write_text
from .datasets import check_one_level
from .models import Model, write_model
from .progress import Progress
from .timing import science

log = logging.getLogger(__name__)


SPLITS = ("train", "validation", "test")


FIT_PREDICTIONS = "fit_test_predictions.extxyz"


class ConsistencyError(RuntimeError):
    """LAMMPS with the written model files disagrees with the fit's own predictions."""


def species_of(frames: Sequence[Atoms], by: str = "element") -> tuple[str, ...]:
    """The elements present, or with ``by="atom_type"`` the atom types
    (:func:`mofglass.chemistry.types_of`), in alphabetical order (LAMMPS types 1, 2, ...)."""
    if by == "atom_type":
        return tuple(sorted({t for a in frames for t in chemistry.types_of(a)}))
    return tuple(sorted({s for a in frames for s in a.get_chemical_symbols()}))


def snap_settings(block: Mapping, species: Sequence[str]) -> snap.SNAPSettings:
    """SNAP settings from a model's ``snap`` config block; radii and weights are given
    per element and apply to each atom type of that element."""
    zbl = block.get("zbl")
    typed = any(s not in atomic_numbers for s in species)
    if typed and block.get("pair_splines"):
        raise ValueError("snap: pair_splines are per element pair; use species: element")
    return snap.SNAPSettings(
        species=tuple(species),
        twojmax=block["twojmax"],
        quadratic=bool(block.get("quadratic", False)),
        rcutfac=block["rcutfac"],
        rfac0=block["rfac0"],
        rmin0=block["rmin0"],
        radii={s: block["radii"].get(chemistry.element_of(s), 0.5) for s in species},
        weights={s: block["weights"].get(chemistry.element_of(s), 1.0) for s in species},
        zbl=None
        if not zbl
        else snap.ZBL(tuple(tuple(p) for p in zbl["pairs"]), zbl["inner_A"], zbl["outer_A"]),
        # walls as fitted (a fit record); a config block's walls are made from the data
        walls=snap.Walls.from_record(block.get("walls")),
        pair_splines=snap.PairSplines.from_config(block.get("pair_splines")),
        keepers=snap.Keepers.from_record(block.get("keepers")),
    )


def read_splits(split_files: Mapping[str, str], level: str | None = None) -> dict:
    """Frames of each split; all labelled at one level of theory."""
    splits = {name: read_frames(path) for name, path in split_files.items()}
    if level is not None:
        for name, frames in splits.items():
            check_one_level(frames, level, f"{name} split")
    return splits


def write_model_lineage(
    lineage_file: str, out_file: str | Path, name: str, left_out: Sequence[str] = ()
) -> None:
    """The dataset's lineage with a ``model_<name>`` column: what the model did with
    each labelled frame (fit, tuning, evaluation, or left out: a bond held by keepers)."""
    lineage = read_table(lineage_file)
    use = {"train": "fit", "validation": "tuning", "test": "evaluation"}
    labelled = lineage["label_status"] == "labelled"
    column = np.where(labelled, lineage["split"].map(use).fillna(""), "")
    column = np.where(
        lineage["frame_id"].astype(str).isin(set(left_out)), "left out (keepers)", column
    )
    lineage[f"model_{name}"] = column
    write_table(out_file, lineage)


@dataclass(frozen=True)
class Training:
    """A model to train: its name and config block, its dataset's split files (train,
    validation, test) and lineage, the level of their labels, and the ``model.json`` to
    write (the model's other files go beside it)."""

    name: str
    block: Mapping
    split_files: Mapping[str, str]
    lineage_file: str
    model_file: str
    level: str


def train_model(job: Training) -> snap.Fit | dict:
    """Train a model of any type: :func:`train_snap` or :func:`train_family`."""
    with science("training"):
        return train_snap(job) if job.block["type"] == "snap" else train_family(job)


#: Where a model's committee members live, each a model of its own (model.json).
COMMITTEE = "committee"


def _snap_model(out: Path, name: str, settings, coefficients, species, info: dict) -> Model:
    """Write a SNAP's files into ``out``; its :class:`Model` (model.json not yet)."""
    write_text(out / snap.PARAM_FILE, settings.param_text())
    write_text(out / snap.COEFF_FILE, settings.coeff_text(coefficients))
    if settings.pair_splines is not None:
        table = settings.pair_splines.table_text(coefficients[-settings.n_extra :])
        write_text(out / snap.TABLE_FILE, table)
    if settings.keepers is not None:
        write_text(out / snap.KEEPER_FILE, settings.keepers.table_text())
    return Model(
        name=name,
        type="snap",
        species=species,
        pair_styles=tuple(settings.pair_styles()),
        pair_commands=tuple(settings.pair_commands("{model_dir}")),
        info=dict(info),
    )


def committee_members(model_file: str | Path) -> list[Path]:
    """The model files of a model's committee members (none without a committee)."""
    folder = Path(model_file).parent / COMMITTEE
    return sorted(folder.glob("member*/model.json"), key=lambda p: int(p.parent.name[6:]))


def _outside_keepers(
    splits: Mapping[str, list], keepers: snap.Keepers, species: Sequence[str]
) -> tuple[dict, list[str]]:
    """The splits without the training and validation frames on which the keepers hold a
    bond (a linker breaking: the teacher's energy there is what the keepers replace), and
    the frame ids left out. The test split stays whole: it is the evaluation's."""
    kept, left_out = dict(splits), []
    for name in ("train", "validation"):
        frames = []
        for atoms in splits[name]:
            if keepers.acting(atoms, species):
                left_out.append(str(atoms.info.get("frame_id", "")))
            else:
                frames.append(atoms)
        kept[name] = frames
    if left_out:
        log.warning("%d frames with a bond held by the keepers left out of the fit", len(left_out))
    return kept, left_out


def train_snap(job: Training) -> snap.Fit:
    """Fit a SNAP on the dataset's training split, tuned on its validation split."""
    name, block = job.name, job.block
    splits = read_splits(job.split_files, job.level)
    if not splits["train"]:
        raise ValueError(f"model {name}: the dataset has no training frames")
    every = [a for f in splits.values() for a in f]
    by = block["snap"].get("species", "element")
    species = tuple(block.get("species") or species_of(every, by))
    settings, splits, left_out = _snap_settings(name, block["snap"], species, splits)
    weights = snap.RowWeights(**block["snap"]["row_weights"])
    start = time.perf_counter()
    fit = snap.fit(
        splits["train"],
        settings,
        weights,
        alpha=block["snap"]["alpha"],
        validation_frames=splits["validation"],
        tune=block["snap"]["tune"],
    )
    seconds = time.perf_counter() - start
    out = Path(job.model_file).parent
    info = {"dataset": block["dataset"], "level_of_theory": job.level}
    model = _snap_model(out, name, fit.settings, fit.coefficients, species, info)
    committee = block.get("committee")
    if committee:
        members = snap.bootstrap_members(
            splits["train"], fit, weights, committee["members"], committee["seed"]
        )
        for k, coefficients in enumerate(members):
            where = out / COMMITTEE / f"member{k}"
            write_model(
                where, _snap_model(where, f"{name}/{k}", fit.settings, coefficients, species, info)
            )
    record = _snap_record(job, fit, species, splits, left_out, seconds)
    write_text(out / "fit.json", json.dumps(record, indent=2, default=float) + "\n")
    # the fit's own predictions on the test frames, for the consistency check
    test_rows = [snap.frame_rows(a, fit.settings) for a in splits["test"]]
    predictions = [
        snap.predict(r, fit.coefficients, a) for r, a in zip(test_rows, splits["test"], strict=True)
    ]
    write_frames(out / FIT_PREDICTIONS, predictions)
    write_model_lineage(job.lineage_file, out / "lineage.csv", name, left_out)
    write_model(out, model)
    log.info(
        "model %s: SNAP 2J=%d, %d coefficients, %d train frames, fitted in %.1f s",
        name,
        fit.settings.twojmax,
        fit.coefficients.size,
        len(splits["train"]),
        seconds,
    )
    return fit


def _snap_settings(
    name: str, block: Mapping, species: tuple[str, ...], splits: dict[str, list[Atoms]]
) -> tuple[snap.SNAPSettings, dict[str, list[Atoms]], list[str]]:
    """The bispectrum settings of a model's ``snap`` block, with walls at the edge of the
    training data and keepers of its covalent bonds where the block asks for them; the
    splits without the frames the keepers hold a bond in, and those frames' ids."""
    settings = snap_settings(block, species)
    walls = block.get("walls")
    if walls:
        made = snap.Walls.from_frames(
            splits["train"], species, settings.cutoff(), walls["margin_A"], walls["k_eV_per_A2"]
        )
        settings = replace(settings, walls=made)
        log.info("walls at the edge of the training data: %s", settings.walls.record())
    keepers, left_out = block.get("keepers"), []
    if keepers:
        made = snap.Keepers.from_frames(
            splits["train"],
            species,
            keepers["pairs"],
            keepers["stretch_A"],
            keepers["width_A"],
            keepers["height_eV"],
        )
        settings = replace(settings, keepers=made)
        log.info("keepers of the covalent bonds: %s", made.record())
        splits, left_out = _outside_keepers(splits, made, species)
        if not splits["train"]:
            raise ValueError(f"model {name}: the keepers hold a bond in every training frame")
    return settings, splits, left_out


def _snap_record(
    job: Training,
    fit: snap.Fit,
    species: tuple[str, ...],
    splits: Mapping,
    left_out: list,
    seconds: float,
) -> dict:
    """What a SNAP fit was (``fit.json``): its data, settings, regularisation, tuning,
    and how long it took (s)."""
    block, fitted = job.block, fit.settings
    return {
        "model": job.name,
        "type": "snap",
        "dataset": block["dataset"],
        "level_of_theory": job.level,
        "species": list(species),
        "twojmax": fitted.twojmax,
        "quadratic": fitted.quadratic,
        "rcutfac": fitted.rcutfac,
        "rfac0": fitted.rfac0,
        "rmin0": fitted.rmin0,
        "radii": dict(fitted.radii),
        "weights": dict(fitted.weights),
        "zbl": block["snap"].get("zbl"),
        "walls": fitted.walls.record() if fitted.walls else None,
        "keepers": fitted.keepers.record() if fitted.keepers else None,
        "left_out_by_keepers": left_out,
        "pair_splines": (fitted.pair_splines.record() if fitted.pair_splines else None),
        "alpha": fit.alpha,
        "row_weights": dict(block["snap"]["row_weights"]),
        "weighted_validation_rmse": fit.validation_score,
        "n_coefficients": int(fit.coefficients.size),
        "frames": {k: len(v) for k, v in splits.items()},
        "fit_seconds": seconds,
        "committee": dict(block["committee"]) if block.get("committee") else None,
        "tuning": fit.trace,
    }


def _family_model(
    job: Training, species: tuple[str, ...], in_lammps: bool, level: str | None
) -> Model:
    """The trained family model: MD in LAMMPS through the family's pair style, or in ASE
    (no pair lines); a fine-tuned model names its foundation level, whose Python runs it."""
    from . import families

    block = job.block
    commands = families.pair_commands(block["type"], species) if in_lammps else ()
    return Model(
        name=job.name,
        type=block["type"],
        species=species,
        pair_styles=(families.PAIR_STYLES[block["type"]],) if in_lammps else (),
        pair_commands=commands,
        info={
            "dataset": block["dataset"],
            "level_of_theory": job.level,
            "device": block["network"]["device"],
            **({"level": level} if level else {}),
        },
    )


def train_family(job: Training) -> dict:
    """Train a NequIP, Allegro or MACE model, or fine-tune a foundation model, with its
    package's own trainer (on the training split, validated on the validation split),
    deploy it, and record the trainer's own predictions on the test split for the
    consistency check."""
    from . import families

    name, block, split_files = job.name, job.block, job.split_files
    splits = read_splits(split_files, job.level)
    if not splits["train"] or not splits["validation"]:
        raise ValueError(f"model {name}: its trainer needs training and validation frames")
    species = tuple(block.get("species") or species_of([a for f in splits.values() for a in f]))
    out = Path(job.model_file).parent.resolve()
    out.mkdir(parents=True, exist_ok=True)
    in_lammps = families.engine_for(block) == "lammps"
    args = {
        "family": block["type"],
        "train": str(Path(split_files["train"]).resolve()),
        "validation": str(Path(split_files["validation"]).resolve()),
        "out": str(out),
        "settings": dict(block["network"]),
        "lammps": in_lammps,
        **families.foundation_args(block),
    }
    start = time.perf_counter()
    level = block.get("foundation_level")
    pace = Progress(f"train {name}", block["network"]["epochs"], "epochs", log)
    record = families.run(block["type"], "train", args, out / "trainer.log", level, pace)
    seconds = time.perf_counter() - start
    device = block["network"]["device"]
    model = _family_model(job, species, in_lammps, level)
    write_model(out, model)
    members = _family_committee(job, args, model, level)
    write_frames(out / FIT_PREDICTIONS, families.predict(out, splits["test"], device, own=True))
    fit = {
        "model": name,
        "type": block["type"],
        "dataset": block["dataset"],
        "level_of_theory": job.level,
        "species": list(species),
        "network": dict(block["network"]),
        "deployed": record["deployed"],
        "lammps_deployed": record.get("lammps_deployed"),
        "engine": "lammps" if in_lammps else "ase",
        "checkpoint": record["checkpoint"],
        "foundation_level": level,
        "history": record.get("history"),
        # where a fine-tuned foundation's zero of energy was moved to the labels' (eV/atom)
        "reference_shift_eV_per_atom": record.get("reference_shift_eV_per_atom"),
        "committee": {**block["committee"], "member_seeds": members} if members else None,
        "frames": {k: len(v) for k, v in splits.items()},
        "fit_seconds": seconds,
    }
    write_text(out / "fit.json", json.dumps(fit, indent=2, default=float) + "\n")
    write_model_lineage(job.lineage_file, out / "lineage.csv", name)
    log.info("model %s: %s trained and deployed in %.1f s", name, block["type"], seconds)
    return fit


def _family_committee(job: Training, args: Mapping, model: Model, level) -> list[int]:
    """A family model's committee (``committee.members``): the same training from
    seeds network.seed + 1 + k, each member a model of its own, run by ASE (a committee
    predicts, it does not run MD). Its seeds."""
    from . import families

    committee = job.block.get("committee")
    if not committee:
        return []
    seeds = [args["settings"]["seed"] + 1 + k for k in range(committee["members"])]
    for k, seed in enumerate(seeds):
        where = (Path(job.model_file).parent / COMMITTEE / f"member{k}").resolve()
        where.mkdir(parents=True, exist_ok=True)
        settings = {**args["settings"], "seed": seed}
        member = {**args, "out": str(where), "settings": settings, "lammps": False}
        families.run(job.block["type"], "train", member, where / "trainer.log", level=level)
        write_model(where, replace(model, name=f"{job.name}/{k}", pair_styles=(), pair_commands=()))
    return seeds


def consistency_table(lammps: Sequence[Atoms], fitted: Sequence[Atoms]) -> pd.DataFrame:
    """Largest differences between two sets of predictions, per frame."""
    rows = []
    for a, b in zip(lammps, fitted, strict=True):
        n = len(a)
        stress = (
            float(np.abs(a.get_stress() - b.get_stress()).max() / GPa)
            if "stress" in a.calc.results and "stress" in b.calc.results
            else float("nan")
        )
        rows.append(
            {
                "frame_id": a.info.get("frame_id", ""),
                "max_abs_diff_energy_eV_per_atom": abs(
                    a.get_potential_energy() - b.get_potential_energy()
                )
                / n,
                "max_abs_diff_forces_eV_per_A": float(
                    np.abs(a.get_forces() - b.get_forces()).max()
                ),
                "max_abs_diff_stress_GPa": stress,
            }
        )
    columns = [
        "frame_id",
        "max_abs_diff_energy_eV_per_atom",
        "max_abs_diff_forces_eV_per_A",
        "max_abs_diff_stress_GPa",
    ]
    return pd.DataFrame(rows, columns=columns)
