"""Figures (PNG) of the enhanced-sampling stage: free-energy surfaces and the
barrier's convergence."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from .base import save_figure


def _cv_label(column: str) -> str:
    """``phi_rad`` -> ``phi (rad)``; units A, A3, rad, 1 (dimensionless)."""
    name, unit = column.rsplit("_", 1)
    return name if unit == "1" else f"{name} ({ {'A': 'Å', 'A3': 'Å³'}.get(unit, unit) })"


def _fes_line(ax, fes: pd.DataFrame, basin, top) -> None:
    x = fes.columns[0]
    ax.plot(fes[x], fes["F_kJ_per_mol"], color="C0")
    if "F_err_kJ_per_mol" in fes:
        low = fes["F_kJ_per_mol"] - fes["F_err_kJ_per_mol"]
        high = fes["F_kJ_per_mol"] + fes["F_err_kJ_per_mol"]
        ax.fill_between(
            fes[x], low, high, color="C0", alpha=0.25, lw=0, label="± spread over the last half"
        )
    ax.axvspan(*basin, color="C2", alpha=0.15, label="basin")
    ax.axvspan(*top, color="C3", alpha=0.15, label="barrier top")
    ax.set_xlabel(_cv_label(x))
    ax.set_ylabel("F (kJ/mol)")
    ax.legend(frameon=False, fontsize=8)


def fes_plot(fes: pd.DataFrame, basin, top, path: str | Path, title: str = "") -> None:
    """Free energy (kJ/mol) along one CV, with the basin and barrier-top intervals."""
    fig, ax = plt.subplots(figsize=(6, 4))
    _fes_line(ax, fes, basin, top)
    ax.set_title(title)
    fig.tight_layout()
    save_figure(fig, path)


def fes_2d_plot(
    fes: pd.DataFrame, projected: pd.DataFrame, basin, top, path: str | Path, title: str = ""
) -> None:
    """A two-CV FES (kJ/mol; long table of x, y, F) as a filled contour map, beside its
    projection on the barrier CV with the basin and barrier-top intervals."""
    x, y = fes.columns[:2]
    table = fes.pivot(index=y, columns=x, values="F_kJ_per_mol")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    filled = left.contourf(table.columns, table.index, table.to_numpy(), levels=20, cmap="viridis")
    fig.colorbar(filled, ax=left, label="F (kJ/mol)")
    left.set_xlabel(_cv_label(x))
    left.set_ylabel(_cv_label(y))
    _fes_line(right, projected, basin, top)
    right.set_title("projected on the barrier CV", fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)


def convergence_plot(curve: pd.DataFrame, value: float, error: float, path, title="") -> None:
    """Barrier (eV) against simulated time (ps), with the estimate and its error band."""
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(curve["time_ps"], curve["barrier_eV"], marker=".", color="C0")
    ax.axhspan(
        value - error,
        value + error,
        color="C1",
        alpha=0.2,
        label=f"{value:.3f} ± {error:.3f} eV (last half)",
    )
    ax.set_xlabel("simulated time (ps)")
    ax.set_ylabel("barrier (eV)")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
