"""A pair term on chosen element pairs: the form of a level's repair (mofglass.repair).

    E = sum over pairs (i, j) of the given elements with r_ij < cutoff of f(r_ij)
    f(r) = s(r) * sum_k c_k exp(-(r - mu_k)^2 / (2 w^2))

s(r) is 1 below ``cutoff - switch`` and falls to 0 at the cutoff as the quintic
smoothstep 1 - 10x^3 + 15x^4 - 6x^5 (value, slope and curvature continuous). Energy,
forces and stress are linear in the coefficients c_k, so :func:`features` gives the
per-Gaussian parts and the fit and the calculator use the same numbers.

This file imports only numpy and ASE: the calculator runner (``runner.py``, run by a
level's own Python) loads it by its path. Units: Å, eV.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from ase.calculators.calculator import Calculator, all_changes
from ase.neighborlist import neighbor_list


def _switch(r: np.ndarray, cutoff: float, width: float) -> tuple[np.ndarray, np.ndarray]:
    """s(r) and ds/dr."""
    x = np.clip((r - (cutoff - width)) / width, 0.0, 1.0)
    s = 1 - 10 * x**3 + 15 * x**4 - 6 * x**5
    ds = (-30 * x**2 + 60 * x**3 - 30 * x**4) / width
    return s, ds


def _pairs(atoms, spec: dict):
    """Each unordered pair of the term's elements within the cutoff once: (i, j, r, D)
    with D the vector from i to j (Å)."""
    i, j, d, vec = neighbor_list("ijdD", atoms, spec["cutoff_A"])
    symbols = np.array(atoms.get_chemical_symbols())
    keep = np.zeros(len(i), bool)
    for a, b in spec["pairs"]:
        if a == b:
            keep |= (symbols[i] == a) & (symbols[j] == b) & (i < j)
        else:
            keep |= (symbols[i] == a) & (symbols[j] == b)
    return i[keep], j[keep], d[keep], vec[keep]


def features(atoms, spec: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per Gaussian k: the energy (K,), the forces (N, 3, K) and the virial-derived
    stress in ASE's order and sign, eV/Å^3 (6, K), of the term with c_k = 1."""
    i, j, r, vec = _pairs(atoms, spec)
    mu = np.asarray(spec["centres_A"])
    w = spec["width_A"]
    s, ds = _switch(r, spec["cutoff_A"], spec["switch_A"])
    g = np.exp(-((r[:, None] - mu) ** 2) / (2 * w * w))  # (P, K)
    phi = s[:, None] * g
    dphi = ds[:, None] * g - s[:, None] * g * (r[:, None] - mu) / (w * w)  # d phi / dr
    energy = phi.sum(axis=0)
    unit = vec / np.maximum(r, 1e-12)[:, None]  # from i to j
    # dE/dr_j = dphi * unit; F_j = -dphi * unit, F_i = +dphi * unit
    pair_force = dphi[:, None, :] * unit[:, :, None]  # (P, 3, K): force on i
    forces = np.zeros((len(atoms), 3, len(mu)))
    np.add.at(forces, i, pair_force)
    np.add.at(forces, j, -pair_force)
    stress = np.zeros((6, len(mu)))
    if atoms.cell.rank == 3:
        # sigma_ab = (1/V) sum_pairs dphi/dr * D_a D_b / r (ASE's sign: positive tensile)
        volume = atoms.get_volume()
        outer = vec[:, :, None] * unit[:, None, :]  # (P, 3, 3): D_a D_b / r
        full = np.einsum("pab,pk->abk", outer, dphi) / volume
        voigt = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
        stress = np.array([full[a, b] for a, b in voigt])
    return energy, forces, stress


def evaluate(atoms, spec: dict) -> tuple[float, np.ndarray, np.ndarray]:
    """Energy (eV), forces (eV/Å) and stress (eV/Å^3, ASE's Voigt order) of the term."""
    c = np.asarray(spec["coefficients_eV"])
    e, f, s = features(atoms, spec)
    return float(e @ c), f @ c, s @ c


class PairTerm(Calculator):
    """The pair term as an ASE calculator, to add to a base level with SumCalculator."""

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(self, spec: dict, **kwargs):
        super().__init__(**kwargs)
        self.spec = spec

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        energy, forces, stress = evaluate(self.atoms, self.spec)
        self.results = {
            "energy": energy,
            "free_energy": energy,
            "forces": forces,
            "stress": stress,
        }


def read_term(path: str | Path) -> dict:
    """The pair term's spec (with coefficients) from a repair's ``term.json``."""
    return json.loads(Path(path).read_text())["spec"]
