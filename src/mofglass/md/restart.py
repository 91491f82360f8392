"""Restart and progress of a LAMMPS run: a kill at any point resumes from the last
completed run segment, never from a half-written restart file."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from ..lammps import barrier, is_root

log = logging.getLogger(__name__)

RESTART = "mofglass.restart"
PROGRESS = "progress.json"


def digest(text: str) -> str:
    """The identity of a run: its input text with the model's fingerprint."""
    return hashlib.sha256(text.encode()).hexdigest()


def save_progress(lmp, progress: dict, stage: int, line: int, bounds: bool) -> None:
    """Write a new restart file, then the progress record that names it (one atomic
    replace), then drop the older restart files: a kill at any point leaves a record
    whose restart file is complete and belongs to it."""
    progress["count"] = progress.get("count", 0) + 1
    restart = f"{RESTART}.{progress['count']}"
    lmp.command(f"write_restart {restart}")
    record = dict(progress, stage=stage, line=line, restart=restart)
    if bounds:  # the stage runs in segments: keep its start and stop steps
        for name in ("mofglass_s0", "mofglass_s1"):
            record[name] = int(lmp.extract_variable(name))
    if is_root():  # on several MPI ranks, rank 0 writes the files
        record["sizes"] = {name: _size(name) for name in progress["appended"]}
        Path(f"{PROGRESS}.tmp").write_text(json.dumps(record))
        os.replace(f"{PROGRESS}.tmp", PROGRESS)
        for old in Path(".").glob(f"{RESTART}.*"):
            if old.name != restart:
                old.unlink()
    barrier()


def load_progress(workdir: Path, text: str) -> dict | None:
    """The progress of an interrupted run of the same input, or None."""
    path = workdir / PROGRESS
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    if record.get("hash") != digest(text):
        log.warning("%s: the input or the model changed; starting again", workdir)
        return None
    if "sizes" not in record:
        log.warning("%s: a progress record of an older mofglass; starting again", workdir)
        return None
    if not (workdir / str(record.get("restart", ""))).is_file():
        log.warning("%s: the progress record names no restart file; starting again", workdir)
        return None
    return record


def restart_header(header: str, restart: str) -> list[str]:
    """The header with the structure read from the ``restart`` file instead."""
    lines = []
    for line in header.splitlines():
        if line.startswith(("read_data", "units", "atom_style")):
            continue
        lines.append(line)
    # read_restart must come before the pair lines and after atom_modify
    first_pair = next(k for k, line in enumerate(lines) if line.startswith("pair_style"))
    return lines[:first_pair] + [f"read_restart {restart}"] + lines[first_pair:]


#: Suffix of what a rewritten output held before a resume (:func:`keep_before_resume`).
KEPT = ".kept"


def _size(name: str) -> int:
    """Bytes written to an output so far: what a resume kept of it, and the file."""
    return sum(Path(p).stat().st_size for p in (f"{name}{KEPT}", name) if Path(p).exists())


def cut_appended(names, sizes: dict) -> None:
    """Cut the outputs a run appends to (log, dump) back to their sizes at the restart
    point: what a killed run wrote after it is written again."""
    for name in names:
        if Path(name).exists():
            with open(name, "r+b") as handle:
                handle.truncate(sizes.get(name, 0))


def keep_before_resume(names, sizes: dict) -> None:
    """Outputs a fix writes afresh when it starts again (Colvars's trajectories): what
    they held at the restart point goes to ``<name>.kept``, to be joined again by
    :func:`join_kept` when the run ends."""
    for name in names:
        kept = _whole(name)
        Path(f"{name}{KEPT}.tmp").write_bytes(kept[: sizes.get(name, 0)])
        os.replace(f"{name}{KEPT}.tmp", f"{name}{KEPT}")
        Path(name).unlink(missing_ok=True)


def join_kept(names) -> None:
    """Each rewritten output whole again: what was kept before a resume, then what the
    resumed run wrote."""
    for name in names:
        if Path(f"{name}{KEPT}").exists():
            Path(f"{name}.tmp").write_bytes(_whole(name))
            os.replace(f"{name}.tmp", name)
            Path(f"{name}{KEPT}").unlink()


def _whole(name: str) -> bytes:
    """What was kept of an output, then the file; the file alone where it already
    begins with what was kept (a join that a kill interrupted before its last step)."""
    kept = Path(f"{name}{KEPT}").read_bytes() if Path(f"{name}{KEPT}").exists() else b""
    now = Path(name).read_bytes() if Path(name).exists() else b""
    return now if kept and now.startswith(kept) else kept + now
