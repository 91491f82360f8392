"""The project's own code-style gates: ruff and snakefmt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "src", "workflow", "tests"],
        ["ruff", "format", "--check", "src", "workflow", "tests"],
        ["snakefmt", "--check", "workflow"],
    ],
    ids=["ruff-check", "ruff-format", "snakefmt"],
)
def test_code_style(command):
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
