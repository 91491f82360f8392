"""What the model families' modules share, in a family's own Python (no mofglass):
mofglass's dependency-free modules (the ASE dynamics, the progress line, a level's
calculator: through the calculators' runner, loaded by its path), the environment's
console scripts, a trainer's subprocess with its progress, and the key of a fit that a
stopped training may go on from."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path


def _level_runner():
    """calculators/runner.py, standalone like this file: how a calculator level (and so
    a foundation model) builds its ASE calculator, and the loader of mofglass's other
    dependency-free modules (``load``), in one place. Loaded once, at import."""
    path = Path(__file__).resolve().parents[1] / "calculators" / "runner.py"
    spec = importlib.util.spec_from_file_location("mofglass_level_runner", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LEVEL = _level_runner()
dynamics = LEVEL.dynamics
progress = LEVEL.progress


def console_script(name: str) -> str:
    """A console script of this environment."""
    return str(Path(sys.executable).parent / name)


def species(frames) -> list[str]:
    """The elements of ``frames``, sorted."""
    return sorted({s for a in frames for s in a.get_chemical_symbols()})


#: An epoch number in a trainer's log: NequIP's "Epoch 3:", MACE's "Epoch 3", CHGNet's
#: "Epoch: [3]".
EPOCH = re.compile(r"Epoch\W{0,3}(\d+)")


def run_trainer(command: list[str], log: Path, epochs: int | None = None) -> None:
    """Run a trainer with its output in ``log``; every 2 s, the last epoch its log names
    goes to mofglass as a progress line (of ``epochs``)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    report = progress.Marker()
    with open(log, "w") as handle:
        proc = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env)
        while proc.poll() is None:
            time.sleep(2.0)
            found = EPOCH.findall(log.read_text(errors="replace")[-20000:]) if epochs else []
            if found:
                report(min(int(found[-1]), epochs), epochs)
    if proc.returncode:
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"{Path(command[0]).name} failed ({proc.returncode}); {log}:\n{tail}")


#: The file in a training folder that names the fit it holds (:func:`fit_key`).
FIT_KEY = "fit.key"


def fit_key(settings: dict, args: dict) -> str:
    """What makes a fit the same fit: its settings, its start (``scratch``) and the
    contents (SHA-256) of its training and validation files; a stopped fit goes on only
    where this is unchanged."""
    files = {
        k: hashlib.sha256(Path(args[k]).read_bytes()).hexdigest() for k in ("train", "validation")
    }
    return json.dumps({"settings": settings, "scratch": bool(args.get("scratch")), **files})


def attempt_log(work: Path, resumed: bool) -> Path:
    """The trainer's log of this attempt; a resumed one beside the earlier ones."""
    attempts = len(list(work.glob("train*.log")))
    return work / (f"train.resumed{attempts}.log" if resumed else "train.log")


def same_fit(work: Path, key: str) -> bool:
    """Whether the training folder ``work`` holds the fit named ``key``."""
    return (work / FIT_KEY).is_file() and (work / FIT_KEY).read_text() == key


def fine_tunes(args: dict) -> bool:
    """Whether a training starts from a foundation model (not its scratch twin)."""
    return bool(args.get("spec")) and not args.get("scratch")
