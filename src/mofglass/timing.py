"""Where a job's time goes: seconds inside the science codes (LAMMPS, CP2K, a reference
calculator, model training, a model family's own Python, Zeo++) against the job's whole
life, so that a run's overhead (imports, file formats, bookkeeping) can be measured
(``bench/overhead.py``).

A section nested in another counts for the outer one only: the LAMMPS calls of a SNAP
fit are training time, not LAMMPS time as well.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

#: The line a job's log ends with (parsed by bench/overhead.py).
SUMMARY = "time in science codes"

_spent: dict[str, float] = defaultdict(float)
_depth = 0


@contextmanager
def science(code: str) -> Iterator[None]:
    """Count the time spent in the block as time in the science code ``code``."""
    global _depth
    _depth += 1
    start = time.perf_counter()
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            _spent[code] += time.perf_counter() - start


def spent() -> dict[str, float]:
    """Seconds so far in each science code."""
    return dict(_spent)


def process_age_s() -> float:
    """Seconds since this process started (the interpreter's start included; Linux's
    /proc, else since this module was imported)."""
    try:
        with open("/proc/self/stat") as handle:
            ticks = int(handle.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as handle:
            uptime = float(handle.read().split()[0])
        return uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _IMPORTED


def summary() -> str:
    """``time in science codes: lammps 1.20 s, cp2k 0.00 s; the job 3.10 s, outside them
    1.90 s`` (the job: this process's age)."""
    age = process_age_s()
    codes = ", ".join(f"{code} {seconds:.2f} s" for code, seconds in sorted(_spent.items()))
    inside = sum(_spent.values())
    return f"{SUMMARY}: {codes or 'none'}; the job {age:.2f} s, outside them {age - inside:.2f} s"


class TimedLAMMPS:
    """A LAMMPS instance whose ``command``, ``commands_list`` and ``commands_string``
    count as LAMMPS time; everything else is passed through."""

    def __init__(self, lmp):
        self._lmp = lmp

    def command(self, *args, **kwargs):
        with science("lammps"):
            return self._lmp.command(*args, **kwargs)

    def commands_list(self, *args, **kwargs):
        with science("lammps"):
            return self._lmp.commands_list(*args, **kwargs)

    def commands_string(self, *args, **kwargs):
        with science("lammps"):
            return self._lmp.commands_string(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._lmp, name)


_IMPORTED = time.perf_counter()
