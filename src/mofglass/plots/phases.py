"""Figures (PNG) of the phase classifier: confusion matrix, phase fractions along a run."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .base import save_figure


def confusion_plot(confusion: pd.DataFrame, accuracy: float, path: str | Path) -> None:
    """Held-out confusion matrix (rows: true phase; columns: predicted), row-normalised."""
    norm = confusion.to_numpy(float)
    norm = norm / np.maximum(norm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.4 * len(confusion) + 2, 1.2 * len(confusion) + 1.5))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(confusion)):
        for j in range(len(confusion)):
            ax.text(
                j,
                i,
                f"{confusion.iat[i, j]}\n{norm[i, j]:.0%}",
                ha="center",
                va="center",
                color="white" if norm[i, j] > 0.6 else "black",
                fontsize=8,
            )
    ax.set_xticks(range(len(confusion)), confusion.columns, rotation=30)
    ax.set_yticks(range(len(confusion)), confusion.index)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"held-out Zn: accuracy {accuracy:.1%}")
    fig.tight_layout()
    save_figure(fig, path)


def phase_fraction_plot(table: pd.DataFrame, path: str | Path, title: str = "") -> None:
    """Fraction of Zn in each phase and of 3-coordinated Zn against time (ps), with the
    temperature (K) on a second axis."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for column in (c for c in table.columns if c.startswith("fraction_")):
        style = {"ls": "--", "color": "k"} if column == "fraction_cn3" else {}
        label = "3-coordinated Zn" if column == "fraction_cn3" else column[9:]
        ax.plot(table["time_ps"], table[column], marker=".", label=label, **style)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("time (ps)")
    ax.set_ylabel("fraction of Zn")
    twin = ax.twinx()
    twin.plot(table["time_ps"], table["temperature_K"], color="C3", lw=0.8, alpha=0.6)
    twin.set_ylabel("temperature (K)", color="C3")
    ax.legend(frameon=False, fontsize=8, loc="center left")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    save_figure(fig, path)


def coexistence_plot(curves, growths, found: dict, path: str | Path, title: str = "") -> None:
    """Crystalline fraction against time (ps) at every temperature of the ladder, each
    labelled with its growth rate and outcome; the bracketed transition in the title."""
    fig, ax = plt.subplots(figsize=(7, 4))
    colours = plt.cm.coolwarm(np.linspace(0, 1, max(1, len(growths))))
    for colour, growth in zip(colours, sorted(growths, key=lambda g: g.temperature_K), strict=True):
        table = curves.get(growth.temperature_K)
        label = f"{growth.temperature_K:g} K: {growth.outcome}"
        if table is None or not len(table):
            ax.plot([], [], color=colour, label=f"{label} ({growth.reason})")
            continue
        ax.plot(table["time_ps"], table["crystalline"], marker=".", color=colour, label=label)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("time (ps)")
    ax.set_ylabel("crystalline fraction")
    if found.get("status") == "ok":
        verdict = f"T = {found['value_K']:.0f} ± {found['error_K']:.0f} K"
    else:
        verdict = f"{found.get('status')}: {found.get('reason')}"
    heading = f"{title}: {verdict}" if title else verdict
    ax.set_title(textwrap.fill(heading, 90), fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path)
