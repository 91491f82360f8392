"""Figures (PNG) of the analysis stage: partial RDFs with their PMFs, angle distributions."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from .base import save_figure


def rdf_plot(rdf: pd.DataFrame, pmf: pd.DataFrame, path: str | Path, title: str = "") -> None:
    """Partial g(r) and their PMFs F(r) (kJ/mol), one line per pair."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.5, 6), sharex=True)
    for column in rdf.columns[1:]:
        pair = column[2:].replace("_", "–")
        top.plot(rdf["r_A"], rdf[column], lw=1.2, label=pair)
        bottom.plot(pmf["r_A"], pmf[f"F_{column[2:]}_kJ_per_mol"], lw=1.2, label=pair)
    top.axhline(1.0, color="0.6", lw=0.6)
    top.set_ylabel("g(r)")
    top.legend(frameon=False)
    top.set_title(title)
    bottom.set_ylabel("F(r) (kJ/mol)")
    bottom.set_xlabel("r (Å)")
    fig.tight_layout()
    save_figure(fig, path)


def angle_plot(angles: pd.DataFrame, path: str | Path, title: str = "") -> None:
    """N–Zn–N angle distribution and its PMF."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.5, 5.5), sharex=True)
    top.plot(angles["angle_deg"], angles["p_per_deg"], lw=1.2)
    top.axvline(109.47, color="0.6", lw=0.6, ls="--")
    top.set_ylabel("P(θ) (1/deg)")
    top.set_title(title)
    bottom.plot(angles["angle_deg"], angles["F_kJ_per_mol"], lw=1.2)
    bottom.set_ylabel("F(θ) (kJ/mol)")
    bottom.set_xlabel("N–Zn–N angle θ (deg)")
    fig.tight_layout()
    save_figure(fig, path)
