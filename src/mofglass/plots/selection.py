"""Figures (PNG) of the selection stage: energy distributions of pool and splits, CBAD coverage."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .base import save_figure

SPLIT_COLOURS = {"train": "C0", "test": "C1", "validation": "C2"}


def energy_distribution(pool: pd.DataFrame, lineage: pd.DataFrame, path: str | Path) -> None:
    """Potential energy per atom (meV/atom above the pool minimum) of the pool and of
    each split, as densities on common bins (Castel et al., Fig. 3a)."""
    base = pool["energy_per_atom_eV"].min() if len(pool) else 0.0
    pool_e = (pool["energy_per_atom_eV"] - base) * 1000
    edges = np.histogram_bin_edges(pool_e, bins=min(60, max(5, len(pool_e) // 4)))
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(pool_e, bins=edges, density=True, color="0.8", label=f"pool ({len(pool_e)})")
    for split, colour in SPLIT_COLOURS.items():
        e = (lineage.loc[lineage["split"] == split, "energy_per_atom_eV"] - base) * 1000
        if len(e):
            ax.hist(
                e,
                bins=edges,
                density=True,
                histtype="step",
                linewidth=1.8,
                color=colour,
                label=f"{split} ({len(e)})",
            )
    name = lineage["dataset"].iloc[0] if len(lineage) else ""
    selector = lineage["selector"].iloc[0] if len(lineage) else ""
    ax.set_xlabel(f"potential energy per atom above the pool's lowest, {base:.4f} eV (meV/atom)")
    ax.set_ylabel("probability density (1/(meV/atom))")
    ax.set_title(f"dataset {name}: {selector}")
    ax.legend(frameon=False)
    fig.tight_layout()
    save_figure(fig, path)


def cbad_coverage(table: pd.DataFrame, path: str | Path) -> None:
    """For each descriptor type, bins visited by the candidates and bins covered by the
    training frames, one panel per kind."""
    present = set(table["kind"])
    kinds = [k for k in ("cell_length", "cell_angle", "bond", "angle", "dihedral") if k in present]
    heights = [max(1, (table["kind"] == k).sum()) for k in kinds]
    fig, axes = plt.subplots(
        len(kinds),
        1,
        figsize=(7, 1.2 + 0.22 * sum(heights) + 0.5 * len(kinds)),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for ax, kind in zip(axes[:, 0], kinds, strict=True):
        part = table[table["kind"] == kind]
        y = np.arange(len(part))
        labels = [t.split(" ", 1)[1] for t in part["descriptor_type"]]
        ax.barh(y, part["bins_visited"], color="0.8", label="visited (candidates)")
        ax.barh(y, part["bins_covered"], height=0.5, color="C0", label="covered (train)")
        ax.set_yticks(y, labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_title(kind.replace("_", " "), fontsize=9, loc="left")
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[-1, 0].set_xlabel("number of bins")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, frameon=False, fontsize=8, loc="upper center", ncols=2)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    save_figure(fig, path)
