"""Figures (PNG) of the selection stage; matplotlib without a display."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .atomicio import write_with  # noqa: E402

SPLIT_COLOURS = {"train": "C0", "test": "C1", "validation": "C2"}


def save_figure(fig, path: str | Path) -> None:
    """Write a figure as PNG atomically and close it."""
    write_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=120))
    plt.close(fig)


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


def empty_figure(path: str | Path, message: str) -> None:
    """A placeholder figure that says why there is nothing to show."""
    fig, ax = plt.subplots(figsize=(6, 2))
    ax.text(0.5, 0.5, message, ha="center", va="center")
    ax.set_axis_off()
    save_figure(fig, path)


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
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
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


def eos_plot(points: pd.DataFrame, fit: dict, path: str | Path, title: str = "") -> None:
    """P (GPa) against V (Å³) with error bars and the Birch-Murnaghan fit."""
    from .mechanics import birch_murnaghan_pressure

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
