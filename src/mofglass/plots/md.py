"""Figures (PNG) of MD runs (MD check, melt-quench): temperature against time, stages coloured."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from .base import save_figure


def thermo_plot(thermo: pd.DataFrame, path: str | Path, title: str = "") -> None:
    """Temperature (K) against time (ps), each protocol stage in its own colour; the
    potential energy per row below."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
    for k, (stage, part) in enumerate(thermo.groupby("stage", sort=False)):
        top.plot(part["time_ps"], part["temperature_K"], color=f"C{k}", lw=1, label=stage)
        bottom.plot(part["time_ps"], part["potential_energy_eV"], color=f"C{k}", lw=1)
    top.set_ylabel("temperature (K)")
    bottom.set_ylabel("potential energy (eV)")
    bottom.set_xlabel("time (ps)")
    if len(thermo):
        top.legend(frameon=False, fontsize=8)
    else:
        top.text(
            0.5,
            0.5,
            "no thermo: the run stopped before its first step",
            ha="center",
            transform=top.transAxes,
        )
    top.set_title(title)
    fig.tight_layout()
    save_figure(fig, path)
