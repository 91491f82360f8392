"""Figures (PNG) of the active-learning stage: errors, frames and cost per iteration."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .base import save_figure


def active_learning_plot(records: pd.DataFrame, path: str | Path, name: str) -> None:
    """Active learning against iteration: force RMSE of model k-1 on the fresh frames
    and of the current model on the test set (meV/Å); CBAD bins covered by the labelled
    frames; frames labelled and quarantined per iteration. T_k (K) labels the x axis."""
    done = records[records["status"] != "not run (stopped)"]
    k = done["iteration"].to_numpy(int)
    labels = [
        f"{i}\n{t:g} K" if np.isfinite(t) else f"{i}\nstart"
        for i, t in zip(k, done["temperature_K"].astype(float), strict=True)
    ]
    barrier = done.get("barrier_eV", pd.Series(dtype=float)).astype(float)
    biased = bool(np.isfinite(barrier).any())
    fig, axes = plt.subplots(1, 4 if biased else 3, figsize=(18 if biased else 14, 4.2))
    ax = axes[0]
    ax.plot(k, done["fresh_forces_rmse_meV_per_A"], "o-", label="model k-1 on fresh frames")
    ax.plot(k, done["test_forces_rmse_meV_per_A"], "s--", label="current model on test set")
    ax.set_ylabel("force RMSE (meV/Å)")
    ax.legend(frameon=False)
    ax = axes[1]
    ax.plot(k, done["bins_covered"], "o-", color="C2")
    ax.set_ylabel("CBAD bins covered by labelled frames")
    ax = axes[2]
    ax.bar(k, done["frames_labelled"], color="C0", label="labelled")
    ax.bar(
        k,
        done["frames_quarantined"],
        bottom=done["frames_labelled"],
        color="C3",
        label="quarantined",
    )
    ax.set_ylabel("frames per iteration")
    ax.legend(frameon=False)
    if biased:  # the exploring model's barrier from iteration k's biased runs
        ax.bar(k, done["frames_selected_biased"].astype(float), width=0.35, color="C1",
               label="selected from biased runs")  # fmt: skip
        ax.legend(frameon=False)
        ax = axes[3]
        ax.errorbar(k, barrier, done["barrier_err_eV"].astype(float), fmt="o-", capsize=3)
        ax.set_ylabel("barrier of model k-1 from the biased runs (eV)")
    for ax in axes:
        ax.set_xticks(k, labels)
        ax.set_xlabel("iteration")
    stopped = records[records["stop"].astype(bool)]
    title = f"active learning of {name}"
    if len(stopped):
        title += f": stopped after iteration {int(stopped['iteration'].iloc[0])}"
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)
