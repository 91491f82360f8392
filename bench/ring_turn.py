"""Does a model know a turned phenylene ring? (issue 35; bench/README.md)

One terephthalate's ring of MOF-5 (6 C, 4 H; the one the phenylene bias drives) is
turned rigidly about its ipso-ipso axis by each angle (Rodrigues' formula), the rest of
the primitive cell fixed; the energy (eV) against the angle, relative to 0°, for the
teacher (SevenNet-0 + D3, in its own Python) and each model given. A model that never
saw a turned ring in training has the 90° energy wrong; the biased loop's should be
the teacher's.

    .venv/bin/python bench/ring_turn.py [MODEL_JSON ...] [--angles 0 30 60 90]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from mofglass import calculators
from mofglass.enhanced import phenylene_rotation
from mofglass.models import load_model
from mofglass.structures import load_structure

TEACHER = {"calculator": "sevennet-0", "dispersion": {"method": "PBE", "damping": "d3zero"}}


def ring(atoms, ipso: int, carboxyls: tuple[int, int]) -> list[int]:
    """The ring's 6 C (C-C bonds from the ipso C, carboxyl C left out) and its 4 H."""
    from ase.neighborlist import neighbor_list

    symbols = np.array(atoms.get_chemical_symbols())
    i, j = neighbor_list("ij", atoms, {("C", "C"): 1.6, ("C", "H"): 1.2})
    carbons = {ipso}
    for _ in range(3):
        carbons |= {int(b) for a, b in zip(i, j, strict=True) if a in carbons and symbols[b] == "C"}
    carbons -= set(carboxyls)
    hydrogens = {int(b) for a, b in zip(i, j, strict=True) if a in carbons and symbols[b] == "H"}
    return sorted(carbons | hydrogens)


def turned(atoms, angles_deg):
    """Copies of ``atoms`` with the ring turned by each angle about its ipso-ipso axis."""
    found = phenylene_rotation(atoms)
    moving = ring(atoms, found["i1"], (found["c1"], found["c2"]))
    assert len(moving) == 10, moving
    origin = atoms.positions[found["i1"]]
    vectors = atoms.get_distances(found["i1"], moving, mic=True, vector=True)
    axis = atoms.get_distance(found["i1"], found["i2"], mic=True, vector=True)
    axis /= np.linalg.norm(axis)
    frames = []
    for angle in np.radians(angles_deg):
        c, s = np.cos(angle), np.sin(angle)
        rotated = (
            vectors * c + np.cross(axis, vectors) * s + np.outer(vectors @ axis, axis) * (1 - c)
        )
        frame = atoms.copy()
        frame.positions[moving] = origin + rotated
        frames.append(frame)
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", type=Path)
    parser.add_argument("--angles", type=float, nargs="+", default=[0, 15, 30, 45, 60, 75, 90])
    args = parser.parse_args()
    frames = turned(load_structure("builtin:MOF-5"), args.angles)
    table = pd.DataFrame({"angle_deg": args.angles})
    level = calculators.CalculatorLevel.from_config("sevennet", TEACHER)
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [Path(tmp, str(k)) for k in range(len(frames))]
        teacher = calculators.compute_labels(level, frames, dirs, stress=False, threads=2)
    energy = np.array([a.get_potential_energy() for a in teacher])
    table["SevenNet-0 + D3 (eV)"] = energy - energy[0]
    for path in args.models:
        energy = np.array([a.get_potential_energy() for a in load_model(path).predict(frames)])
        table[f"{path} (eV)"] = energy - energy[0]
    pd.set_option("display.width", 250)
    print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
