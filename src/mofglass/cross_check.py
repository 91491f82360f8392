"""Cross-checks: the reference level against a second level, and every glass against the
reference level.

Two questions a user of a cheap reference level asks:

1. How far is the teacher from quantum chemistry? The test split of a dataset is
   labelled again at a second level (GFN1-xTB in CP2K on the default, PBE-D3 in the
   paper config) and the two sets of labels are compared (:func:`level_errors`).
   Two levels have different zeros of energy, so energies are compared after removing
   the mean per-atom offset, which is reported beside.
2. Is a glass physical beyond the student's own opinion? Its final frame is labelled
   at the level the student learnt from, next to a frame of the crystal at the same
   temperature made by the same student (:func:`glass_judgement`).

Units: energies meV/atom (kJ/mol per metal atom beside), forces meV/Å or eV/Å as named,
stress GPa.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from ase import Atoms
from ase.units import kJ, mol

from .evaluation import pairs

METALS = ("Zn", "Co", "Cu", "Fe", "Cd", "Mn", "Ni", "Mg", "Zr", "Cr", "Al", "Ti")


def level_errors(reference: Sequence[Atoms], other: Sequence[Atoms]) -> dict:
    """Differences between two levels' labels of the same frames (matched in order).

    energy: RMSE of the per-atom energy after removing the mean offset (meV/atom);
    offset: mean of other - reference (eV/atom); forces: RMSE and MAE over components
    (meV/Å); stress: RMSE over Voigt components (GPa), where both have stress.
    """
    if len(reference) != len(other):
        raise ValueError(f"{len(reference)} reference frames but {len(other)} others")
    if not reference:
        return {"n_frames": 0}
    v = pairs(reference, other)
    de = v["e_pred"] - v["e_ref"]
    df = v["f_pred"] - v["f_ref"]
    out = {
        "n_frames": len(reference),
        "energy_offset_eV_per_atom": float(de.mean()),
        "energy_rmse_meV_per_atom": float(np.sqrt(np.mean((de - de.mean()) ** 2)) * 1e3),
        "forces_rmse_meV_per_A": float(np.sqrt(np.mean(df**2)) * 1e3),
        "forces_mae_meV_per_A": float(np.mean(np.abs(df)) * 1e3),
        "forces_rms_reference_meV_per_A": float(np.sqrt(np.mean(v["f_ref"] ** 2)) * 1e3),
    }
    if v["s_ref"].size and v["s_pred"].size == v["s_ref"].size:
        out["stress_rmse_GPa"] = float(np.sqrt(np.mean((v["s_pred"] - v["s_ref"]) ** 2)))
    return out


def _metal_count(atoms: Atoms) -> int:
    return sum(s in METALS for s in atoms.get_chemical_symbols())


def glass_judgement(teacher: Atoms, student: Atoms, crystal_teacher: Atoms) -> dict:
    """A glass frame judged at the teacher's level, against a crystal frame at the
    same temperature.

    energy_above_crystal: (E_glass/N - E_crystal/N) at the teacher's level (meV/atom,
    and kJ/mol per metal atom); rms forces of both at the teacher's level (eV/Å): a
    thermal frame has forces, so the crystal's is the yardstick; and the student's
    force error on the glass against the teacher (meV/Å).
    """
    n, nc = len(teacher), len(crystal_teacher)
    de = teacher.get_potential_energy() / n - crystal_teacher.get_potential_energy() / nc
    metals = _metal_count(teacher)
    per_metal = de * n / metals / (kJ / mol) if metals else float("nan")
    df = student.get_forces() - teacher.get_forces()
    return {
        "energy_above_crystal_meV_per_atom": float(de * 1e3),
        "energy_above_crystal_kJ_per_mol_metal": float(per_metal),
        "rms_force_eV_per_A": float(np.sqrt(np.mean(teacher.get_forces() ** 2))),
        "crystal_rms_force_eV_per_A": float(np.sqrt(np.mean(crystal_teacher.get_forces() ** 2))),
        "student_forces_rmse_meV_per_A": float(np.sqrt(np.mean(df**2)) * 1e3),
    }


def config_errors(config: dict) -> Iterator[str]:
    """A cross-check level or dataset that does not exist."""
    block = config.get("cross_check") or {}
    if not block.get("enabled"):
        return
    level = block.get("level_of_theory")
    if level is not None and level not in config.get("levels_of_theory", {}):
        yield f"cross_check.level_of_theory: {level!r} is not defined under levels_of_theory"
    for name in block.get("datasets") or []:
        if name not in config.get("datasets", {}):
            yield f"cross_check.datasets: no dataset {name!r}"
