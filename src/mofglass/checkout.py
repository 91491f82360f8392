"""Which mofglass a workflow's jobs import: the checkout the Snakefile belongs to."""

from __future__ import annotations

import os
from pathlib import Path


def export_to_jobs(src: str | Path | None) -> None:
    """Put ``src`` (a checkout's ``src`` folder) first on the PYTHONPATH that every job
    inherits, whatever environment the job runs in (the main venv, a rule's conda
    environment, a level's own venv): environments then hold dependencies only, and two
    checkouts never share code through one environment. Nothing is done for None."""
    if src is None:
        return
    rest = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(src)]
    os.environ["PYTHONPATH"] = os.pathsep.join([str(src), *rest])


def source_of() -> Path | None:
    """The ``src`` folder of the checkout this mofglass was imported from, or None when
    it is installed as a package (its folder then holds other packages too, which must
    not reach the jobs' environments)."""
    package = Path(__file__).resolve().parent
    src = package.parent
    if src.name in ("site-packages", "dist-packages"):
        return None
    return src
