"""Figures (PNG) of the training stage: parity plots, learning curves, MD cost, and
accuracy against cost across models."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .base import save_figure


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
    """Test and validation errors against the number of training frames: one colour
    per start (scratch, fine-tuned), the foundation zero-shot as horizontal lines."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    columns = [
        ("energy_rmse_meV_per_atom", "energy RMSE (meV/atom)"),
        ("forces_rmse_meV_per_A", "force RMSE (meV/Å)"),
        ("stress_rmse_MPa", "stress RMSE (MPa)"),
    ]
    styles = {"test": "o-", "validation": "s--"}
    colours = {"scratch": "C0", "fine-tuned": "C1", "zero-shot": "C2"}
    for ax, (column, label) in zip(axes, columns, strict=True):
        for (start, split), part in table.groupby(["start", "split"]):
            name = f"{start}, {split}"
            if start == "zero-shot":
                ls = ":" if split == "test" else "-."
                ax.axhline(part[column].iloc[0], color=colours[start], ls=ls, label=name)
                continue
            ax.plot(part["n_train"], part[column], styles[split], color=colours[start], label=name)
        ax.set_xlabel("training frames")
        ax.set_ylabel(label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        sizes = sorted(set(table.loc[table["n_train"] > 0, "n_train"]))
        ax.set_xticks(sizes, [str(int(n)) for n in sizes])
        ax.xaxis.set_minor_locator(plt.NullLocator())
        plain = plt.FuncFormatter(lambda value, _: f"{value:g}")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain)
    axes[0].legend(frameon=False, fontsize="small")
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


def comparison_plot(table: pd.DataFrame, path) -> None:
    """Force MAE against MD cost per model (published models as open symbols)."""
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for _, row in table.dropna(subset=["us_per_atom_step", "forces_mae_meV_per_A"]).iterrows():
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
