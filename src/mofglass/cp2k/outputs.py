"""Readers for CP2K's output files, converted to ASE units.

Written by hand: ASE reads none of these files (its CP2K calculator talks to
``cp2k_shell`` instead), and cp2k-output-tools pins numpy < 2. The formats are those of
CP2K 2023.1; every reader checks what it reads and raises :class:`CP2KOutputError`
when a file is truncated or not what it should be.

Units returned: energies in eV, positions in Å, forces in eV/Å, velocities in Å/fs,
stress tensors in eV/Å³ with ASE's sign (positive = tensile), times in fs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ase.units import Bohr, GPa, Hartree, _aut, bar

#: CP2K's energies (Hartree) to eV, forces (Hartree/bohr) to eV/Å, velocities
#: (bohr per atomic time unit) to Å/fs.
HARTREE = Hartree
HARTREE_PER_BOHR = Hartree / Bohr
AU_VELOCITY_TO_A_PER_FS = Bohr / (_aut * 1e15)

_ENERGY = re.compile(r"ENERGY\| Total FORCE_EVAL \( \w+ \) energy \[(?:a\.u\.|hartree)\]:\s+(\S+)")
_SCF_NOT_CONVERGED = "SCF run NOT converged"
_XYZ_COMMENT = re.compile(r"i =\s*(\d+), time =\s*(\S+), E =\s*(\S+)")


class CP2KOutputError(ValueError):
    """A CP2K output file that is missing, truncated or malformed."""


def fortran_float(text: str) -> float:
    """A number as CP2K prints it; a field of asterisks (Fortran's overflow, e.g. the
    forces between two atoms on top of each other) is +inf, so the quality gate sees a
    non-finite result instead of the reader crashing."""
    if text and set(text) == {"*"}:
        return float("inf")
    return float(text)


def force_evaluations(text: str) -> list[tuple[float, bool]]:
    """(energy in eV, SCF converged) of every force evaluation in a main output, in order.

    A force evaluation ends with CP2K's ``ENERGY| Total FORCE_EVAL`` line; it did not
    converge when CP2K warned ``SCF run NOT converged`` since the previous one.
    """
    out, start = [], 0
    for match in _ENERGY.finditer(text):
        converged = _SCF_NOT_CONVERGED not in text[start : match.start()]
        out.append((float(match.group(1)) * HARTREE, converged))
        start = match.end()
    return out


def read_forces_file(path: str | Path) -> tuple[list[str], np.ndarray]:
    """Element symbols and forces (eV/Å) from a ``FORCE_EVAL/PRINT/FORCES`` file."""
    lines = Path(path).read_text().splitlines()
    symbols, forces, in_table, total = [], [], False, False
    for line in lines:
        if "# Atom" in line and "Element" in line:
            in_table = True
            continue
        if in_table:
            if line.strip().startswith("SUM OF ATOMIC FORCES"):
                total = True
                break
            parts = line.split()
            if len(parts) != 6:
                raise CP2KOutputError(f"{path}: unexpected line in force table: {line!r}")
            symbols.append(parts[2])
            forces.append([fortran_float(x) for x in parts[3:6]])
    if not (in_table and total and forces):
        raise CP2KOutputError(f"{path}: no complete force table")
    return symbols, np.array(forces) * HARTREE_PER_BOHR


def read_stress_tensor_file(path: str | Path) -> np.ndarray:
    """The 3x3 stress (eV/Å³, ASE sign) from a ``FORCE_EVAL/PRINT/STRESS_TENSOR`` file."""
    rows = {}
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[0] == "STRESS|" and parts[1] in ("x", "y", "z"):
            rows.setdefault(parts[1], [fortran_float(v) for v in parts[2:5]])
    if sorted(rows) != ["x", "y", "z"]:
        raise CP2KOutputError(f"{path}: no complete stress tensor")
    # CP2K prints the pressure-like tensor in GPa; ASE's stress has the opposite sign.
    return -np.array([rows["x"], rows["y"], rows["z"]]) * GPa


@dataclass
class XYZFrame:
    """One frame of a CP2K MD xyz file: step, time (fs), energy (eV), symbols, values."""

    step: int
    time_fs: float
    energy: float
    symbols: list[str]
    values: np.ndarray


def read_xyz_frames(path: str | Path, scale: float = 1.0) -> list[XYZFrame]:
    """Frames of a CP2K MD xyz file (positions, forces or velocities), values times ``scale``.

    Raises :class:`CP2KOutputError` on a truncated frame (e.g. a job killed mid-write).
    """
    lines = Path(path).read_text().splitlines()
    frames, k = [], 0
    while k < len(lines):
        if not lines[k].strip():
            k += 1
            continue
        try:
            natoms = int(lines[k])
        except ValueError as exc:
            raise CP2KOutputError(f"{path}:{k + 1}: expected an atom count") from exc
        match = _XYZ_COMMENT.search(lines[k + 1]) if k + 1 < len(lines) else None
        body = lines[k + 2 : k + 2 + natoms]
        if match is None or len(body) != natoms:
            raise CP2KOutputError(f"{path}:{k + 1}: truncated or malformed frame")
        symbols = [row.split()[0] for row in body]
        values = np.array([[fortran_float(x) for x in row.split()[1:4]] for row in body]) * scale
        frames.append(
            XYZFrame(
                step=int(match.group(1)),
                time_fs=float(match.group(2)),
                energy=float(match.group(3)) * HARTREE,
                symbols=symbols,
                values=values,
            )
        )
        k += 2 + natoms
    return frames


def read_md_stress(path: str | Path) -> dict[int, np.ndarray]:
    """Step -> 3x3 total pressure tensor (eV/Å³, CP2K's sign) from an MD ``.stress`` file.

    This is CP2K's pressure tensor *including* the kinetic contribution; see
    :func:`static_stress` for the potential-only stress in ASE's convention.
    """
    out = {}
    for line in Path(path).read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split()
        if len(parts) != 11:
            raise CP2KOutputError(f"{path}: malformed line {line!r}")
        out[int(parts[0])] = np.array([float(x) for x in parts[2:]]).reshape(3, 3) * bar
    return out


def static_stress(
    pressure_tensor: np.ndarray, masses: np.ndarray, velocities: np.ndarray, volume: float
) -> np.ndarray:
    """Potential-energy (virial) stress in ASE's sign from CP2K's MD pressure tensor.

    ``pressure_tensor`` in eV/Å³ (CP2K sign, kinetic part included), ``masses`` in amu,
    ``velocities`` in Å/fs, ``volume`` in Å³. The kinetic tensor sum(m v v)/V is
    removed, so the result compares with a single point's stress at the same geometry.
    """
    from ase.units import fs

    v = velocities / fs  # Å/fs -> ASE velocity units, so that m v v is in eV
    kinetic = np.einsum("i,ij,ik->jk", masses, v, v) / volume
    return -(pressure_tensor - kinetic)


def read_ener(path: str | Path) -> np.ndarray:
    """Rows of an MD ``.ener`` file: step, time (fs), kinetic (eV), temperature (K),
    potential (eV), conserved quantity (eV), used time (s)."""
    data = np.loadtxt(path, ndmin=2)
    if data.shape[1] != 7:
        raise CP2KOutputError(f"{path}: expected 7 columns, found {data.shape[1]}")
    data[:, [2, 4, 5]] *= HARTREE
    return data
