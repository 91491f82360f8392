"""Figures (PNG) of the mechanics stage: P(V) with its fit, running moduli, cell scans, VDOS."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .base import save_figure


def eos_plot(points: pd.DataFrame, fit: dict, path: str | Path, title: str = "") -> None:
    """P (GPa) against V (Å³) with error bars and the Birch-Murnaghan fit."""
    from ..mechanics import birch_murnaghan_pressure

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar(
        points["volume_A3"],
        points["pressure_GPa"],
        yerr=points["pressure_err_GPa"],
        fmt="o",
        color="C0",
        capsize=3,
        label="MD (NVT)",
    )
    if fit.get("verdict") == "ok":
        v = np.linspace(points["volume_A3"].min(), points["volume_A3"].max(), 100)
        p = birch_murnaghan_pressure(v, fit["v0_A3"], fit["k0_GPa"], fit["k0_prime"])
        ax.plot(
            v,
            p,
            color="C1",
            label=(
                f"Birch-Murnaghan (order {fit['order']}): K0 = {fit['k0_GPa']:.2f} "
                f"± {fit['k0_err_GPa']:.2f} GPa"
            ),
        )
    ax.axhline(0, color="0.6", lw=0.6)
    ax.set_xlabel("volume (Å³)")
    ax.set_ylabel("pressure (GPa)")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def running_moduli_plot(running: pd.DataFrame, path: str | Path, title: str = "") -> None:
    """Hill K and G and the volume-fluctuation K (GPa) from the run so far."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for column, label in (
        ("K_hill_GPa", "K (Hill)"),
        ("G_hill_GPa", "G (Hill)"),
        ("K_volume_fluctuation_GPa", "K (volume fluctuation)"),
    ):
        ax.plot(running["time_ps"], running[column], marker=".", label=label)
    ax.set_xlabel("production time used (ps)")
    ax.set_ylabel("modulus (GPa)")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def expansion_plot(t_scan: pd.DataFrame, p_scan: pd.DataFrame, path: str | Path, title="") -> None:
    """Lattice parameters (Å) and volume (Å³) against T (K) and against P (GPa)."""
    fig, axes = plt.subplots(2, 2, figsize=(8, 6), sharey="row")
    for col, (scan, x, label) in enumerate(
        ((t_scan, "temperature_K", "temperature (K)"), (p_scan, "pressure_GPa", "pressure (GPa)"))
    ):
        for name in ("a_A", "b_A", "c_A"):
            if name in scan:
                axes[0, col].errorbar(
                    scan[x],
                    scan[name],
                    yerr=scan.get(f"{name}_err"),
                    marker="o",
                    capsize=3,
                    label=name[0],
                )
        if "volume_A3" in scan:
            axes[1, col].errorbar(
                scan[x],
                scan["volume_A3"],
                yerr=scan.get("volume_A3_err"),
                marker="o",
                capsize=3,
                color="C3",
            )
        axes[1, col].set_xlabel(label)
    axes[0, 0].set_ylabel("lattice parameter (Å)")
    axes[1, 0].set_ylabel("volume (Å³)")
    axes[0, 0].legend(frameon=False, fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)


def vdos_plot(table: pd.DataFrame, path: str | Path, title: str = "") -> None:
    """VDOS (1/THz), total and per element, against frequency (THz and cm⁻¹)."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for column in table.columns[2:]:
        ax.plot(
            table["frequency_THz"],
            table[column],
            lw=1.5 if column == "total" else 0.9,
            color="k" if column == "total" else None,
            label=column,
        )
    total = table["total"].to_numpy()
    if len(total) and total.max() > 0:  # up to the highest band (C-H stretch in a MOF)
        ax.set_xlim(0, 1.1 * table["frequency_THz"][total > 0.01 * total.max()].max())
    ax.set_xlabel("frequency (THz)")
    ax.set_ylabel("VDOS (1/THz, unit area)")
    top = ax.secondary_xaxis("top", functions=(lambda f: f * 33.35641, lambda w: w / 33.35641))
    top.set_xlabel("wavenumber (cm⁻¹)")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
