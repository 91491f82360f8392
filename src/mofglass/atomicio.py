"""Atomic file writes: a reader never sees a half-written file.

Everything is written to a temporary file in the destination directory and then
renamed over the destination, which POSIX guarantees to be atomic on one file system.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import ase.io
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from ase import Atoms


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are shared files
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_with(path: str | os.PathLike, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` and move the result to ``path`` atomically."""
    with atomic_path(path) as tmp:
        writer(tmp)


def write_frames(path: str | os.PathLike, frames: list[Atoms]) -> None:
    """Write frames atomically: ASE's binary trajectory for a ``.traj`` path (what MD
    runs write: read back about 25 times faster than text), extended XYZ otherwise (an
    empty list gives an empty file).

    ``info`` entries whose value is the empty string are left out: ASE writes them as
    ``key=`` and reads the next ``key=value`` pair as their value.
    """

    def _write(tmp: Path) -> None:
        if frames:
            ase.io.write(tmp, [_without_empty_text(a) for a in frames], format=_format(path))
        else:
            tmp.write_text("")

    write_with(path, _write)


def _format(path: str | os.PathLike) -> str:
    return "traj" if str(path).endswith(".traj") else "extxyz"


def _without_empty_text(atoms: Atoms) -> Atoms:
    empty = [key for key, value in atoms.info.items() if isinstance(value, str) and not value]
    if not empty:
        return atoms
    copy = atoms.copy()
    copy.calc = atoms.calc
    for key in empty:
        del copy.info[key]
    return copy


def read_frames(path: str | os.PathLike) -> list[Atoms]:
    """Read every frame of an ASE trajectory (``.traj``) or an extended-XYZ file (an
    empty file gives an empty list)."""
    path = Path(path)
    if path.stat().st_size == 0:
        return []
    return ase.io.read(path, index=":", format=_format(path))


def iter_frames(path: str | os.PathLike, positions: Sequence[int]) -> Iterator[Atoms]:
    """Stream the frames at the given sorted 0-based ``positions`` of an extended-XYZ
    file, without parsing the frames before the first or after the last."""
    if not positions:
        return iter(())
    wanted = set(positions)
    start = min(positions)
    stream = ase.io.iread(path, index=slice(start, max(positions) + 1), format=_format(path))
    return (atoms for n, atoms in enumerate(stream, start) if n in wanted)


def write_table(path: str | os.PathLike, table: pd.DataFrame) -> None:
    """Write a table as CSV atomically (header, no index, strings in double quotes).

    pyarrow's writer: about ten times faster than pandas' on million-row lineage tables.
    """
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    options = pa_csv.WriteOptions(quoting_style="needed")
    write_with(path, lambda tmp: pa_csv.write_csv(arrow, tmp, write_options=options))


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV table written by :func:`write_table` (empty text stays empty text)."""
    return pd.read_csv(path, keep_default_na=False)
