"""Model errors, the same for every model type: tables and parity plots.

Errors are per-frame energy per atom (meV/atom), force components (meV/Å) and stress
components (MPa, Voigt), as mean absolute error and root-mean-square error. Stress
errors are reported only over frames whose reference has a stress.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from ase import Atoms  # noqa: E402
from ase.units import GPa  # noqa: E402

from .plots import save_figure  # noqa: E402

METRIC_COLUMNS = [
    "model",
    "split",
    "n_frames",
    "energy_mae_meV_per_atom",
    "energy_rmse_meV_per_atom",
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
    f_mae, f_rmse = _mae_rmse(values["f_pred"], values["f_ref"])
    s_mae, s_rmse = _mae_rmse(values["s_pred"], values["s_ref"])
    return {
        "model": model,
        "split": split,
        "n_frames": len(values["e_ref"]),
        "energy_mae_meV_per_atom": e_mae * 1e3,
        "energy_rmse_meV_per_atom": e_rmse * 1e3,
        "forces_mae_meV_per_A": f_mae * 1e3,
        "forces_rmse_meV_per_A": f_rmse * 1e3,
        "stress_mae_MPa": s_mae * 1e3,
        "stress_rmse_MPa": s_rmse * 1e3,
        "n_frames_with_stress": len(values["s_ref"]) // 6,
    }


def parity_plot(values: Mapping[str, Mapping[str, np.ndarray]], title: str, path) -> None:
    """Predicted against reference energy, forces and stress, one colour per split."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.3))
    panels = [
        ("e", "energy per atom (eV/atom)", 1.0),
        ("f", "force component (eV/Å)", 1.0),
        ("s", "stress component (GPa)", 1.0),
    ]
    colours = {"train": "C0", "validation": "C2", "test": "C1"}
    for ax, (key, label, scale) in zip(axes, panels, strict=True):
        low, high = np.inf, -np.inf
        for split, v in values.items():
            ref, pred = v[f"{key}_ref"] * scale, v[f"{key}_pred"] * scale
            if ref.size == 0:
                continue
            ax.scatter(
                ref,
                pred,
                s=4 if key == "f" else 12,
                alpha=0.6,
                color=colours.get(split),
                label=f"{split} ({len(v['e_ref'])} frames)",
            )
            low, high = min(low, ref.min(), pred.min()), max(high, ref.max(), pred.max())
        if np.isfinite(low):
            pad = 0.05 * (high - low or 1.0)
            ax.plot([low - pad, high + pad], [low - pad, high + pad], "k--", lw=0.8)
        else:
            ax.text(0.5, 0.5, "no reference values", ha="center", transform=ax.transAxes)
        ax.set_xlabel(f"reference {label}")
        ax.set_ylabel(f"predicted {label}")
    axes[0].legend(frameon=False, fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)


def learning_curve_plot(table: pd.DataFrame, path) -> None:
    """Test and validation errors against the number of training frames."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    columns = [
        ("energy_rmse_meV_per_atom", "energy RMSE (meV/atom)"),
        ("forces_rmse_meV_per_A", "force RMSE (meV/Å)"),
        ("stress_rmse_MPa", "stress RMSE (MPa)"),
    ]
    for ax, (column, label) in zip(axes, columns, strict=True):
        for split, part in table.groupby("split"):
            ax.plot(part["n_train"], part[column], "o-", label=split)
        ax.set_xlabel("training frames")
        ax.set_ylabel(label)
        ax.set_xscale("log")
        ax.set_yscale("log")
    axes[0].legend(frameon=False)
    fig.tight_layout()
    save_figure(fig, path)


def cost_plot(table: pd.DataFrame, path) -> None:
    """Measured cost per atom per MD step against system size."""
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(table["n_atoms"], table["us_per_atom_step"], "o-")
    ax.set_xlabel("atoms")
    ax.set_ylabel("cost (µs per atom per step)")
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_title(f"{table['model'].iloc[0]}, {int(table['processes'].iloc[0])} process(es)")
    fig.tight_layout()
    save_figure(fig, path)


# Castel et al. 2024, Table 1 (test MAE; cost on one V100): the deployed models
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
    "n_train",
    "energy_mae_meV_per_atom",
    "forces_mae_meV_per_A",
    "stress_mae_MPa",
    "us_per_atom_step",
    "md_check",
]


def model_comparison(models: dict[str, dict]) -> pd.DataFrame:
    """Every model's test errors (MAE) and MD cost side by side, as the reference work's
    Table 1, with its published rows. ``models``: name -> {type, dataset, metrics (the
    metrics table), cost (the cost table), md_check (verdict)}."""
    rows = []
    for name, m in models.items():
        test = m["metrics"][m["metrics"]["split"] == "test"].iloc[0]
        train = m["metrics"][m["metrics"]["split"] == "train"].iloc[0]
        rows.append(
            {
                "model": name,
                "type": m["type"],
                "dataset": m["dataset"],
                "n_train": int(train["n_frames"]),
                "energy_mae_meV_per_atom": test["energy_mae_meV_per_atom"],
                "forces_mae_meV_per_A": test["forces_mae_meV_per_A"],
                "stress_mae_MPa": test["stress_mae_MPa"],
                "us_per_atom_step": m["cost"]["us_per_atom_step"].iloc[-1],
                "md_check": m["md_check"],
            }
        )
    published = PUBLISHED_MODELS.assign(dataset="flat histogram", n_train=2357, md_check="")
    return pd.concat([pd.DataFrame(rows), published], ignore_index=True)[COMPARISON_COLUMNS]


def comparison_plot(table: pd.DataFrame, path) -> None:
    """Force MAE against MD cost per model (published models as open symbols)."""
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for _, row in table.iterrows():
        published = "Castel" in row["model"]
        ax.scatter(
            row["us_per_atom_step"],
            row["forces_mae_meV_per_A"],
            facecolors="none" if published else None,
            edgecolors="k",
        )
        ax.annotate(row["model"], (row["us_per_atom_step"], row["forces_mae_meV_per_A"]),
                    fontsize=8, xytext=(4, 4), textcoords="offset points")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("MD cost (µs per atom per step)")
    ax.set_ylabel("force MAE on the test split (meV/Å)")
    ax.set_title("models: accuracy against cost (open: published, V100)")
    fig.tight_layout()
    save_figure(fig, path)
