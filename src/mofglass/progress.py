"""Progress of a long job in its log, at a steady cadence: how far (``1.25 of 6 ps``),
how fast and when it ends, in one line a person or ``mofglass status`` can read::

    progress md snap/replica0: 1.25 of 6 ps (21%), 152 steps/s, ETA 4 min 10 s

Processes that must not import mofglass (the runner scripts in a model's own Python,
which load this file by its path: it imports only the standard library) print a line
``MOFGLASS_PROGRESS {"done": ..., "total": ...}`` on stderr (:class:`Marker`), which
their caller passes to :meth:`Progress.update` (:func:`parse_marker`)."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Mapping, Sequence

#: The marker a subprocess prints, followed by JSON {done, total}.
MARKER = "MOFGLASS_PROGRESS"
#: What ``mofglass status`` looks for in a job's log.
LINE = re.compile(
    r"progress (?P<what>.+?): (?P<done>[\d.e+-]+) of (?P<total>[\d.e+-]+) .*ETA (?P<eta>.+)$"
)


def duration(seconds: float) -> str:
    """``4 min 10 s``, ``2 h 5 min``, ``12 s``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"
    return f"{seconds // 3600:.0f} h {seconds % 3600 // 60:.0f} min"


class Progress:
    """Logs how far a job is: at most every ``every_s`` seconds, and always at the end.

    ``total`` in ``unit`` (ps, frames, chunks); ``rate_unit`` and ``rate_per_unit`` turn
    the pace into what the field quotes (steps/s for MD: ``rate_per_unit`` steps per
    ps). ``done`` is where a resumed job starts: it is not counted in the pace."""

    def __init__(
        self,
        what: str,
        total: float,
        unit: str,
        logger: logging.Logger | None = None,
        every_s: float = 30.0,
        done: float = 0.0,
        rate_unit: str | None = None,
        rate_per_unit: float = 1.0,
    ):
        self.what, self.total, self.unit = what, float(total), unit
        self.log = logger or logging.getLogger("mofglass.progress")
        self.every_s = every_s
        self.start_done, self.done = float(done), float(done)
        self.rate_unit = rate_unit or f"{unit}/s"
        self.rate_per_unit = rate_per_unit
        self.started = time.perf_counter()
        self.last = -float("inf")

    def line(self) -> str:
        """The progress line for where the job is now."""
        elapsed = time.perf_counter() - self.started
        pace = (self.done - self.start_done) / elapsed if elapsed > 0 else 0.0
        left = self.total - self.done
        eta = duration(left / pace) if pace > 0 else "unknown"
        if left <= 0:
            eta = "0 s"
        share = 100 * self.done / self.total if self.total else 100.0
        return (
            f"progress {self.what}: {self.done:g} of {self.total:g} {self.unit} "
            f"({share:.0f}%), {pace * self.rate_per_unit:.3g} {self.rate_unit}, ETA {eta}"
        )

    def skip(self, amount: float = 1.0) -> None:
        """Count ``amount`` as done without it being part of the pace (reused work)."""
        self.start_done += amount
        self.done += amount

    def update(self, done: float, force: bool = False) -> None:
        """Record that ``done`` (in ``unit``) is finished; log when it is time to."""
        self.done = float(done)
        now = time.perf_counter()
        if force or self.done >= self.total or now - self.last >= self.every_s:
            self.last = now
            self.log.info(self.line())


class Marker:
    """The other side of :func:`parse_marker`: a process without mofglass tells how far
    it is with a ``MOFGLASS_PROGRESS`` line on stderr, at most every ``every_s`` seconds
    and always when ``done`` reaches ``total``."""

    def __init__(self, every_s: float = 2.0):
        self.every_s = every_s
        self.last = -float("inf")

    def __call__(self, done: float, total: float) -> None:
        now = time.perf_counter()
        if done >= total or now - self.last >= self.every_s:
            self.last = now
            done_total = json.dumps({"done": done, "total": total})
            print(f"{MARKER} {done_total}", file=sys.stderr, flush=True)


def parse_marker(line: str) -> dict | None:
    """{done, total} of a ``MOFGLASS_PROGRESS`` line, or None for any other line."""
    if not line.startswith(MARKER):
        return None
    try:
        return json.loads(line[len(MARKER) :])
    except json.JSONDecodeError:
        return None


def run_reporting(
    command: Sequence[str], progress: Progress | None = None, env: Mapping | None = None
) -> tuple[int, str, str]:
    """Run ``command``; pass its ``MOFGLASS_PROGRESS`` lines (stderr) to ``progress`` as they
    come. Returns the exit code, its stdout, and its stderr without the markers (the
    last 200 lines)."""
    tail: deque[str] = deque(maxlen=200)
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(
            list(command), stdout=out, stderr=subprocess.PIPE, text=True, env=env
        )
        for line in proc.stderr:
            found = parse_marker(line)
            if found is None:
                tail.append(line.rstrip("\n"))
            elif progress is not None:
                progress.update(found["done"])
        proc.wait()
        out.seek(0)
        return proc.returncode, out.read(), "\n".join(tail)
