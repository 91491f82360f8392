"""Which mofglass a workflow's jobs import: the checkout the Snakefile belongs to."""

from __future__ import annotations

import os
from pathlib import Path


def export_to_jobs(src: str | Path) -> None:
    """Put ``src`` (a checkout's ``src`` folder) first on the PYTHONPATH that every job
    inherits, whatever environment the job runs in (the main venv, a rule's conda
    environment, a level's own venv): environments then hold dependencies only, and two
    checkouts never share code through one environment."""
    rest = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(src)]
    os.environ["PYTHONPATH"] = os.pathsep.join([str(src), *rest])
