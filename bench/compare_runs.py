"""Compare the results of two runs of the pipeline, file by file.

    .venv/bin/python bench/compare_runs.py BEFORE/results AFTER/results

For a change meant to leave behaviour alone (a refactoring): every table (CSV, TSV),
every frame file (extended XYZ: positions, cell, energies, forces, stresses), every
model file (SNAP coefficients and parameters, ``model.json``, ``pair.lammps``) and
every JSON record must hold the same numbers, to ``--rtol`` (float round-off of a
different order of operations). Measured times (wall and core seconds, loop times,
µs/atom/step) and the free text of logs and figures are not compared. Files only one
run has, and columns only one table has, are listed.

Exit status 0 when nothing but timings differs, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

import ase.io
import numpy as np
import pandas as pd

#: Columns and keys that measure time on this machine, not the science.
TIMING = re.compile(r"(^|_)(wall|core|seconds|loop_time|us_per_atom_step|elapsed)(_|$)")
#: Folders of work files (CP2K scratch, MD engine folders, which hold an ``in.lammps``):
#: their products are compared, not they.
WORK_FOLDERS = {"cp2k", "lammps", "work"}


def numbers_equal(a, b, rtol: float) -> bool:
    """Equal as numbers to ``rtol`` (NaN equals NaN), or equal as text."""
    try:
        x, y = float(a), float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)
    if math.isnan(x) and math.isnan(y):
        return True
    return math.isclose(x, y, rel_tol=rtol, abs_tol=rtol * 1e-3)


def compare_table(a: Path, b: Path, rtol: float) -> list[str]:
    sep = "\t" if a.suffix == ".tsv" else ","
    try:
        left, right = pd.read_csv(a, sep=sep), pd.read_csv(b, sep=sep)
    except pd.errors.EmptyDataError:
        return [] if a.read_bytes() == b.read_bytes() else ["one side empty"]
    notes = []
    only = set(left.columns) ^ set(right.columns)
    if only:
        notes.append(f"columns in one run only: {sorted(only)}")
    if len(left) != len(right):
        return notes + [f"{len(left)} rows against {len(right)}"]
    for column in [c for c in left.columns if c in right.columns and not TIMING.search(c)]:
        pairs = zip(left[column].tolist(), right[column].tolist(), strict=True)
        bad = [k for k, (x, y) in enumerate(pairs) if not numbers_equal(x, y, rtol)]
        if bad:
            k = bad[0]
            notes.append(
                f"{column}: {len(bad)} rows differ, e.g. row {k}: "
                f"{left[column].iloc[k]!r} against {right[column].iloc[k]!r}"
            )
    return notes


def compare_frames(a: Path, b: Path, rtol: float) -> list[str]:
    left = ase.io.read(a, ":") if a.stat().st_size else []
    right = ase.io.read(b, ":") if b.stat().st_size else []
    if len(left) != len(right):
        return [f"{len(left)} frames against {len(right)}"]
    notes = []
    for k, (x, y) in enumerate(zip(left, right, strict=True)):
        arrays = {"positions": (x.positions, y.positions), "cell": (x.cell[:], y.cell[:])}
        if x.calc is not None and y.calc is not None:
            for name in ("energy", "forces", "stress"):
                if name in x.calc.results and name in y.calc.results:
                    arrays[name] = (x.calc.results[name], y.calc.results[name])
        for name, (p, q) in arrays.items():
            if not np.allclose(p, q, rtol=rtol, atol=rtol * 1e-3):
                notes.append(f"frame {k}: {name} differs by {np.max(np.abs(p - q)):.3g}")
        if x.get_chemical_symbols() != y.get_chemical_symbols():
            notes.append(f"frame {k}: other atoms")
        if notes:
            break
    return notes


def compare_json(a: Path, b: Path, rtol: float) -> list[str]:
    def flat(value, prefix=""):
        if isinstance(value, dict):
            for key, item in value.items():
                yield from flat(item, f"{prefix}{key}.")
        elif isinstance(value, list):
            for key, item in enumerate(value):
                yield from flat(item, f"{prefix}{key}.")
        else:
            yield prefix.rstrip("."), value

    left, right = dict(flat(json.loads(a.read_text()))), dict(flat(json.loads(b.read_text())))
    notes = (
        [f"keys in one run only: {sorted(set(left) ^ set(right))[:5]}"]
        if set(left) ^ set(right)
        else []
    )
    for key in sorted(set(left) & set(right)):
        if TIMING.search(key.rsplit(".", 1)[-1]):
            continue
        if not numbers_equal(left[key], right[key], rtol):
            notes.append(f"{key}: {left[key]!r} against {right[key]!r}")
    return notes


def compare_text(a: Path, b: Path, rtol: float) -> list[str]:
    """Model files: the same words, numbers equal to ``rtol``."""
    left, right = a.read_text().split(), b.read_text().split()
    if len(left) != len(right):
        return [f"{len(left)} words against {len(right)}"]
    bad = [
        k for k, (x, y) in enumerate(zip(left, right, strict=True)) if not numbers_equal(x, y, rtol)
    ]
    return (
        [f"{len(bad)} words differ, e.g. {left[bad[0]]!r} against {right[bad[0]]!r}"] if bad else []
    )


COMPARERS = {
    ".csv": compare_table,
    ".tsv": compare_table,
    ".extxyz": compare_frames,
    ".json": compare_json,
    ".snapcoeff": compare_text,
    ".snapparam": compare_text,
    ".lammps": compare_text,
    ".table": compare_text,
}


def files(root: Path) -> set[str]:
    engine = {p.parent for p in root.rglob("in.lammps")}
    out = set()
    for path in root.rglob("*"):
        if not path.is_file() or path.suffix not in COMPARERS:
            continue
        folders = path.relative_to(root).parents
        if WORK_FOLDERS & set(path.relative_to(root).parts[:-1]):
            continue
        if any(root / folder in engine for folder in folders):
            continue
        out.add(str(path.relative_to(root)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rtol", type=float, default=1e-6)
    args = parser.parse_args()
    before, after = files(args.before), files(args.after)
    differ = 0
    for name in sorted(before ^ after):
        print(f"only in {'before' if name in before else 'after'}: {name}")
    for name in sorted(before & after):
        path = Path(name)
        notes = COMPARERS[path.suffix](args.before / path, args.after / path, args.rtol)
        if notes:
            differ += 1
            print(f"{name}:\n  " + "\n  ".join(notes))
    same = len(before & after) - differ
    print(f"{same} of {len(before & after)} files hold the same numbers (rtol {args.rtol:g})")
    return 1 if differ or before ^ after else 0


if __name__ == "__main__":
    sys.exit(main())
