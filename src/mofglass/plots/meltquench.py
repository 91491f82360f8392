"""Figures (PNG) of the melt-quench stage: the committee's disagreement along a run."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from .base import save_figure


def committee_plot(
    sigma: pd.DataFrame, thermo: pd.DataFrame, high: float, path: str | Path, title: str = ""
) -> None:
    """σ_F (largest over atoms, eV/Å) against time (ps) with the trust bound, and the
    temperature (K) on the right axis."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(sigma["time_ps"], sigma["sigma_F_max_eV_per_A"], "o-", ms=3, label="σ_F, largest")
    ax.plot(sigma["time_ps"], sigma["sigma_F_mean_eV_per_A"], "-", lw=1, label="σ_F, mean")
    ax.axhline(high, color="C3", ls="--", lw=1, label="trust bound")
    ax.set_xlabel("time (ps)")
    ax.set_ylabel("committee σ_F (eV/Å)")
    ax.set_yscale("log")
    if len(thermo):
        twin = ax.twinx()
        twin.plot(thermo["time_ps"], thermo["temperature_K"], color="0.6", lw=0.8)
        twin.set_ylabel("T (K)", color="0.4")
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    save_figure(fig, path)
