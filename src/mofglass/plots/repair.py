"""Figures (PNG) of a repaired level: the pull test before and after its repair."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from .base import save_figure


def repair_plot(dft: pd.DataFrame, pull: pd.DataFrame, path: str | Path, title: str = "") -> None:
    """Left: the pull test on the DFT points (a fragment, or the cell), energy (eV) above
    the unstretched point against the stretch (Å), DFT (points) against the base and
    repaired levels. Right: the pull test in the structure, base against repaired."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8))
    if len(dft):
        left.plot(dft["stretch_A"], dft["dft_energy_eV"], "ko", label="DFT")
        left.plot(dft["stretch_A"], dft["base_energy_eV"], "C0-", label="base")
        left.plot(dft["stretch_A"], dft["repaired_energy_eV"], "C3-", label="repaired")
        left.legend(frameon=False, fontsize=8)
    left.set_title("the DFT points", fontsize=9)
    right.plot(pull["stretch_A"], pull["base_energy_eV"], "C0-o", ms=3, label="base")
    right.plot(pull["stretch_A"], pull["repaired_energy_eV"], "C3-o", ms=3, label="repaired")
    right.legend(frameon=False, fontsize=8)
    right.set_title("structure", fontsize=9)
    for ax in (left, right):
        ax.set_xlabel("metal moved off its donor (Å)")
        ax.axhline(0, color="0.8", lw=0.5)
    left.set_ylabel("energy above the unstretched geometry (eV)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)
