"""Train and run NequIP, Allegro, MACE and fine-tuned models inside their own environments.

This file runs with a model family's Python (``.venvs/nequip`` or ``.venvs/mace``, or
the family's conda environment), which has the family's package, torch and ASE but
not mofglass: it imports nothing from mofglass. mofglass calls it as a subprocess
(:mod:`mofglass.families`) with JSON arguments and reads back extended-XYZ files.

    python runner.py train   ARGS.json   # the family's own trainer, then deployment
    python runner.py predict ARGS.json   # energy, forces, stress of frames
    python runner.py md      ARGS.json   # ASE molecular dynamics of protocol stages
    python runner.py inspect ARGS.json   # what a published (deployed) archive holds

One module per family beside this file (``_nequip.py`` for NequIP and Allegro,
``_mace.py``, ``_chgnet.py``, ``_deployed.py`` for published 0.5.x archives), what they
share in ``_common.py``; the MD loop is mofglass's ASE dynamics (``md/ase_dynamics.py``).
Units: eV, Å, fs, K (ASE's). Labels are read from the frames' ASE results.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

if str(Path(__file__).parent) not in sys.path:  # loaded by its path, not run as a script
    sys.path.insert(0, str(Path(__file__).parent))

import _chgnet  # noqa: E402 (the family modules beside this file)
import _mace  # noqa: E402
import _nequip  # noqa: E402
import ase.io  # noqa: E402
from _common import LEVEL, dynamics, progress  # noqa: E402
from _deployed import DeployedNequIP, load_deployed  # noqa: E402

#: The trainers of the families, and of fine-tuned foundation models by the module of
#: their level's calculator (mofglass.families.FINETUNABLE).
TRAINERS = {"nequip": _nequip.train, "allegro": _nequip.train, "mace": _mace.train}
FINETUNERS = {"chgnet": _chgnet.train, "mace": _mace.train}


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
        return LEVEL.make_calculator(record["spec"])
    if family == "finetune" and record["foundation"] == "chgnet":
        from chgnet.model import CHGNet
        from chgnet.model.dynamics import CHGNetCalculator

        model = CHGNet.from_file(str(model_dir / record["deployed"]))
        return CHGNetCalculator(model=model, use_device=device)
    if family in _nequip.FAMILIES:
        from nequip.integrations.ase import NequIPCalculator

        if own:
            return NequIPCalculator._from_saved_model(
                str(model_dir / record["checkpoint"]), device=device
            )
        return NequIPCalculator.from_compiled_model(str(model_dir / record["deployed"]), device)
    from mace.calculators import MACECalculator

    path = record["checkpoint"] if own else record["deployed"]
    return MACECalculator(model_paths=str(model_dir / path), device=device, default_dtype="float64")


def _model(args: dict):
    """The calculator of the model in ``args["model_dir"]`` (its ``family.json``)."""
    model_dir = Path(args["model_dir"])
    record = json.loads((model_dir / "family.json").read_text())
    return calculator(record["family"], model_dir, record, args["device"], args.get("own", False))


def predict(args: dict) -> dict:
    """Energy (eV), forces (eV/Å) and, for periodic frames, stress (eV/Å³) of the
    model on ``frames``, written with the frames' own info to ``out``."""
    from ase.calculators.singlepoint import SinglePointCalculator

    calc = _model(args)
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


def md(args: dict) -> dict:
    """The protocol stages of ``args`` with the model's calculator
    (:func:`ase_dynamics.run_stages`), into the folder ``out``."""
    out = Path(args["out"])
    out.mkdir(parents=True, exist_ok=True)
    atoms = ase.io.read(args["structure"])
    atoms.calc = _model({**args, "own": False})
    start = time.perf_counter()
    verdict, reason = dynamics.run_stages(atoms, args, out, progress.Marker())
    return {"verdict": verdict, "reason": reason, "seconds": time.perf_counter() - start}


def train(args: dict) -> dict:
    """A family's training (a fine-tuned model's: its foundation's fine-tuner), whose
    record ``family.json`` (what the model is, where its files are) it writes to ``out``."""
    extra, trainer = {}, TRAINERS.get(args["family"])
    if args["family"] == "finetune":
        # the level it started from: mofglass runs it with that level's Python
        extra = {"foundation": args["foundation"], "level": args["level"]}
        trainer = FINETUNERS[args["foundation"]]
    result = {"family": args["family"], **extra, **trainer(args)}
    Path(args["out"], "family.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def _device(requested: str) -> str:
    if requested != "auto":
        return requested
    try:
        import torch
    except ImportError:  # a foundation model's calculator without torch: its own choice
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def main() -> None:
    command, path = sys.argv[1], sys.argv[2]
    args = json.loads(Path(path).read_text())
    if "settings" in args:
        args["settings"]["device"] = _device(args["settings"].get("device", "auto"))
    if "device" in args:
        args["device"] = _device(args["device"])
    commands = {"train": train, "predict": predict, "md": md, "inspect": inspect}
    if command not in commands:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(commands[command](args)))


if __name__ == "__main__":
    main()
