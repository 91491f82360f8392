"""Code run in another Python: the one home of how mofglass finds an environment's
interpreter, says how to install it, and calls a runner script there with JSON.

Model families (:mod:`mofglass.families`) and calculator levels
(:mod:`mofglass.calculators`) pin torch and e3nn versions that cannot share mofglass's
environment or each other's, so each runs as a script (its ``runner.py``, which imports
only its package, torch and ASE) in its environment's Python:

1. ``MOFGLASS_<ENV>_PYTHON`` (``MOFGLASS_NEQUIP_PYTHON``, ``MOFGLASS_SEVENN_PYTHON``), if set;
2. this interpreter, when it imports the module (a rule's conda env of workflow/envs/);
3. ``.venvs/<env>/bin/python`` of the project (``./install.sh --models <env>``).

The call writes its arguments to a JSON file, runs ``python runner.py COMMAND FILE``
and reads the answer from the last line of its standard output; the runner's progress
lines go to a :class:`mofglass.progress.Progress` as they come.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from .progress import Progress, run_reporting
from .timing import science

PROJECT = Path(__file__).resolve().parents[2]


def interpreter(env: str | None, module: str) -> str | None:
    """The Python of environment ``env`` (None: this one only) that should run
    ``module``, in the order of the module docstring, or None if there is none."""
    if env:
        explicit = os.environ.get(f"MOFGLASS_{env.upper()}_PYTHON")
        if explicit:
            return explicit
    if module and importlib.util.find_spec(module) is not None:
        return sys.executable
    local = PROJECT / ".venvs" / env / "bin" / "python" if env else None
    if local is not None and local.exists():
        return str(local)
    # a module this process cannot see may still import in a child that inherits a
    # PYTHONPATH set since it started (one subprocess, cached; not on the usual paths)
    return sys.executable if module and importable(sys.executable, module) else None


@cache
def importable(python: str, module: str) -> bool:
    """Whether ``module`` imports in the interpreter ``python``."""
    code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    try:
        return subprocess.run([python, "-c", code], capture_output=True).returncode == 0
    except OSError:
        return False


def install_hint(what: str, env: str | None, module: str, conda: bool = False) -> str:
    """How to install ``what`` (e.g. ``model family 'nequip'``) whose ``module`` runs in
    environment ``env``; ``conda`` when workflow/envs/<env>.yaml exists for it."""
    if not env:
        return (
            f"{what}: module {module!r} does not import in {sys.executable}: install it "
            f"there, or give it an env whose .venvs/<env> or MOFGLASS_<ENV>_PYTHON has it"
        )
    also = f", or use --sdm conda with workflow/envs/{env}.yaml" if conda else ""
    return (
        f"{what} is not installed: run ./install.sh --models {env} (or set "
        f"MOFGLASS_{env.upper()}_PYTHON to a Python that has it{also})"
    )


class ForeignError(RuntimeError):
    """A runner script failed in its Python; ``stdout`` and ``stderr`` are what it said."""

    def __init__(self, message: str, stdout: str = "", stderr: str = ""):
        super().__init__(message)
        self.stdout, self.stderr = stdout, stderr


def call(
    python: str,
    script: str | Path,
    command: str,
    args: Mapping,
    what: str,
    progress: Progress | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[dict, str, str]:
    """Run ``python script command ARGS.json``; its JSON answer (the last line of its
    stdout), its stdout and its stderr. ``what`` names the science-code timer
    (:func:`mofglass.timing.science`). Raises :class:`ForeignError` with the end of what
    the script said when it exits with an error."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(dict(args), handle)
    try:
        with science(what):
            code, stdout, stderr = run_reporting(
                [python, str(script), command, handle.name], progress, env
            )
    finally:
        os.unlink(handle.name)
    if code:
        raise ForeignError(f"{command} failed: {(stderr or stdout)[-3000:]}", stdout, stderr)
    return json.loads(stdout.strip().splitlines()[-1]), stdout, stderr
