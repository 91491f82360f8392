"""Model errors, the same for every model type (figures: :mod:`mofglass.plots.train`).

Errors are per-frame energy per atom (meV/atom), force components (meV/Å) and stress
components (MPa, Voigt), as mean absolute error and root-mean-square error; the
energy also as its mean offset and its MAE once that offset is removed (what a model
of another level, whose zero of energy differs, can be judged by). Stress
errors are reported only over frames whose reference has a stress.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from ase import Atoms
from ase.units import GPa

METRIC_COLUMNS = [
    "model",
    "split",
    "n_frames",
    "energy_mae_meV_per_atom",
    "energy_rmse_meV_per_atom",
    "energy_offset_meV_per_atom",
    "energy_mae_after_offset_meV_per_atom",
    "forces_mae_meV_per_A",
    "forces_rmse_meV_per_A",
    "stress_mae_MPa",
    "stress_rmse_MPa",
    "n_frames_with_stress",
]


def pairs(reference: Sequence[Atoms], predicted: Sequence[Atoms]) -> dict[str, np.ndarray]:
    """Reference and predicted values side by side: energy per atom (eV/atom), force
    components (eV/Å), stress components (GPa)."""
    keys = ("e_ref", "e_pred", "f_ref", "f_pred", "s_ref", "s_pred")
    out: dict[str, list] = {k: [] for k in keys}
    for ref, pred in zip(reference, predicted, strict=True):
        n = len(ref)
        out["e_ref"].append(ref.get_potential_energy() / n)
        out["e_pred"].append(pred.get_potential_energy() / n)
        out["f_ref"].append(ref.get_forces().ravel())
        out["f_pred"].append(pred.get_forces().ravel())
        if "stress" in ref.calc.results:
            out["s_ref"].append(ref.get_stress(voigt=True) / GPa)
            out["s_pred"].append(pred.get_stress(voigt=True) / GPa)
    return {
        "e_ref": np.array(out["e_ref"]),
        "e_pred": np.array(out["e_pred"]),
        "f_ref": np.concatenate(out["f_ref"]) if out["f_ref"] else np.zeros(0),
        "f_pred": np.concatenate(out["f_pred"]) if out["f_pred"] else np.zeros(0),
        "s_ref": np.concatenate(out["s_ref"]) if out["s_ref"] else np.zeros(0),
        "s_pred": np.concatenate(out["s_pred"]) if out["s_pred"] else np.zeros(0),
    }


def _mae_rmse(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    if a.size == 0:
        return float("nan"), float("nan")
    d = a - b
    return float(np.mean(np.abs(d))), float(np.sqrt(np.mean(d**2)))


def metrics(model: str, split: str, values: Mapping[str, np.ndarray]) -> dict:
    """One row of the error table (units in the column names)."""
    e_mae, e_rmse = _mae_rmse(values["e_pred"], values["e_ref"])
    # a model of another level (zero-shot, published) differs by a constant per atom
    # (the levels' zeros): its energy error once that mean offset is removed
    offset = float(np.mean(values["e_pred"] - values["e_ref"])) if len(values["e_ref"]) else np.nan
    e_shifted, _ = _mae_rmse(values["e_pred"] - offset, values["e_ref"])
    f_mae, f_rmse = _mae_rmse(values["f_pred"], values["f_ref"])
    s_mae, s_rmse = _mae_rmse(values["s_pred"], values["s_ref"])
    return {
        "model": model,
        "split": split,
        "n_frames": len(values["e_ref"]),
        "energy_mae_meV_per_atom": e_mae * 1e3,
        "energy_rmse_meV_per_atom": e_rmse * 1e3,
        "energy_offset_meV_per_atom": offset * 1e3,
        "energy_mae_after_offset_meV_per_atom": e_shifted * 1e3,
        "forces_mae_meV_per_A": f_mae * 1e3,
        "forces_rmse_meV_per_A": f_rmse * 1e3,
        "stress_mae_MPa": s_mae * 1e3,
        "stress_rmse_MPa": s_rmse * 1e3,
        "n_frames_with_stress": len(values["s_ref"]) // 6,
    }


PUBLISHED_MODELS = pd.DataFrame(
    [
        {"model": "NequIP (Castel et al.)", "type": "nequip", "energy_mae_meV_per_atom": 0.60,
         "forces_mae_meV_per_A": 15.0, "stress_mae_MPa": 352.0, "us_per_atom_step": 282.0},
        {"model": "Allegro (Castel et al.)", "type": "allegro", "energy_mae_meV_per_atom": 0.70,
         "forces_mae_meV_per_A": 30.1, "stress_mae_MPa": 352.0, "us_per_atom_step": 347.0},
    ]
)  # fmt: skip
COMPARISON_COLUMNS = [
    "model",
    "type",
    "dataset",
    "labels",
    "n_train",
    "energy_mae_meV_per_atom",
    "energy_mae_after_offset_meV_per_atom",
    "forces_mae_meV_per_A",
    "stress_mae_MPa",
    "us_per_atom_step",
    "md_check",
]


def model_comparison(models: dict[str, dict]) -> pd.DataFrame:
    """Every model's test errors (MAE) and MD cost side by side, as the reference work's
    Table 1, with its published rows. ``models``: name -> {type, dataset, labels (the
    level of theory of its labels, in words), metrics (the metrics table), cost (the
    cost table), md_check (verdict)}."""
    rows = []
    for name, m in models.items():
        test = m["metrics"][m["metrics"]["split"] == "test"].iloc[0]
        train = m["metrics"][m["metrics"]["split"] == "train"].iloc[0]
        rows.append(
            {
                "model": name,
                "type": m["type"],
                "dataset": m["dataset"],
                "labels": m.get("labels", ""),
                # a model trained elsewhere did not learn from this dataset's split
                "n_train": (
                    np.nan if m["type"] in ("published", "foundation") else int(train["n_frames"])
                ),
                "energy_mae_meV_per_atom": test["energy_mae_meV_per_atom"],
                "energy_mae_after_offset_meV_per_atom": test[
                    "energy_mae_after_offset_meV_per_atom"
                ],
                "forces_mae_meV_per_A": test["forces_mae_meV_per_A"],
                "stress_mae_MPa": test["stress_mae_MPa"],
                "us_per_atom_step": (
                    m["cost"]["us_per_atom_step"].iloc[-1] if m["cost"] is not None else np.nan
                ),
                "md_check": m["md_check"],
            }
        )
    published = PUBLISHED_MODELS.assign(
        dataset="flat histogram", labels="CP2K PBE-D3", n_train=2357, md_check=""
    )
    return pd.concat([pd.DataFrame(rows), published], ignore_index=True)[COMPARISON_COLUMNS]


#: Columns of a committee's table (forces eV/Å): per evaluated frame, the committee's
#: force deviation and the model's true force error.
COMMITTEE_COLUMNS = [
    "split",
    "frame_id",
    "sigma_F_max_eV_per_A",
    "sigma_F_mean_eV_per_A",
    "error_F_max_eV_per_A",
    "error_F_rms_eV_per_A",
]


def force_deviation(members: Sequence[Atoms]) -> tuple[float, float]:
    """The committee's disagreement on one frame (DP-GEN's model deviation): per atom,
    σ_i = sqrt(<|F_i - <F_i>|²>) over the members; its largest and mean value (eV/Å)."""
    forces = np.array([m.get_forces() for m in members])  # (members, atoms, 3)
    sigma = np.sqrt(np.mean(np.sum((forces - forces.mean(axis=0)) ** 2, axis=2), axis=0))
    return float(sigma.max()), float(sigma.mean())


def committee_rows(
    split: str,
    reference: Sequence[Atoms],
    predicted: Sequence[Atoms],
    members: Sequence[Sequence[Atoms]],
) -> list[dict]:
    """One row per frame: σ_F of the committee (``members[k][frame]``) next to the
    model's true force error against the reference (largest per-atom and RMS, eV/Å)."""
    rows = []
    for k, (ref, got) in enumerate(zip(reference, predicted, strict=True)):
        sigma_max, sigma_mean = force_deviation([m[k] for m in members])
        error = np.linalg.norm(got.get_forces() - ref.get_forces(), axis=1)
        rows.append(
            {
                "split": split,
                "frame_id": ref.info.get("frame_id", ""),
                "sigma_F_max_eV_per_A": sigma_max,
                "sigma_F_mean_eV_per_A": sigma_mean,
                "error_F_max_eV_per_A": float(error.max()),
                "error_F_rms_eV_per_A": float(np.sqrt(np.mean(error**2))),
            }
        )
    return rows


def ranks_errors(table: pd.DataFrame) -> float:
    """Spearman's ρ between a committee's σ_F and the true force error (largest per
    atom) over the table's frames: how well the disagreement orders the errors."""
    from scipy.stats import spearmanr

    if len(table) < 3:
        return float("nan")
    return float(spearmanr(table["sigma_F_max_eV_per_A"], table["error_F_max_eV_per_A"])[0])
