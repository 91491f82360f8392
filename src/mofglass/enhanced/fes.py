"""The free-energy surface rebuilt from the deposited hills: F(s) = -γ/(γ-1) V(s) for
bias factor γ, its projection on one CV, its error, the barrier and its convergence
against simulated time (neither backend's own tools give that curve with an error
bar). Energies eV, CVs in the description's units."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from ase.units import kJ, mol

from .bias import Bias, cv_unit, kT_eV

EV_TO_KJ_PER_MOL = mol / kJ


def hills_dimension(hills: pd.DataFrame) -> int:
    return sum(1 for c in hills.columns if c.startswith("center"))


def _gaussians(hills: pd.DataFrame, k: int, grid: np.ndarray, period: float | None):
    """(hills, grid points): each hill's Gaussian along CV k, its periodic images summed."""
    centers = hills[f"center{k}"].to_numpy()[:, None]
    sigma = hills[f"sigma{k}"].to_numpy()[:, None]
    shifts = (-period, 0.0, period) if period else (0.0,)
    return sum(np.exp(-((grid[None, :] - centers + d) ** 2) / (2 * sigma**2)) for d in shifts)


def fes(
    hills: pd.DataFrame,
    grids: Sequence[np.ndarray],
    bias_factor: float,
    upto: int | None = None,
    periods: Sequence[float | None] | None = None,
) -> np.ndarray:
    """F = -γ/(γ-1) V (eV) from the first ``upto`` hills on the grid of one or two CVs
    (array of shape (len(grids[0]), [len(grids[1])])), shifted to min 0. A periodic CV
    (its ``periods`` entry, e.g. 360 degrees) sums the hills' images."""
    if len(grids) != hills_dimension(hills) or len(grids) > 2:
        raise ValueError(f"{len(grids)} grids for hills on {hills_dimension(hills)} CVs (1 or 2)")
    part = hills if upto is None else hills.iloc[:upto]
    periods = periods or [None] * len(grids)
    heights = part["height_eV"].to_numpy()
    g = [_gaussians(part, k, grids[k], periods[k]) for k in range(len(grids))]
    # the Gaussians factorise per CV: V(x, y) = sum_h H_h g_h(x) g_h(y), one matrix product
    bias = heights @ g[0] if len(g) == 1 else (g[0] * heights[:, None]).T @ g[1]
    free = -bias_factor / (bias_factor - 1) * bias
    return free - free.min()


def project(free: np.ndarray, axis: int, temperature_K: float) -> np.ndarray:
    """F(s) = -kT ln ∫ exp(-F(s, t)/kT) dt (eV) along CV ``axis`` of a 2-D FES, min 0
    (a uniform grid: the constant dt only shifts F)."""
    if free.ndim == 1:
        return free
    kt = kT_eV(temperature_K)
    other = 1 - axis
    low = free.min(axis=other)  # log-sum-exp about each row's minimum
    rest = np.exp(-(free - np.expand_dims(low, other)) / kt).sum(axis=other)
    projected = low - kt * np.log(rest)
    return projected - projected.min()


def fes_error(
    hills: pd.DataFrame,
    grids: Sequence[np.ndarray],
    bias_factor: float,
    blocks: int = 5,
    fraction: float = 0.5,
    periods: Sequence[float | None] | None = None,
    along: int | None = None,
    temperature_K: float | None = None,
) -> np.ndarray:
    """Per grid point, the error of F (eV): the standard deviation of ``blocks``
    estimates taken at equal intervals through the last ``fraction`` of the run (each
    shifted to its minimum), the spread a converged run keeps about its FES. With
    ``along``, the error of the FES projected on that CV at ``temperature_K``."""
    start = int(len(hills) * (1 - fraction))
    ends = np.unique(np.linspace(start, len(hills), blocks + 1)[1:].astype(int))
    estimates = [fes(hills, grids, bias_factor, int(e), periods) for e in ends if e >= 2]
    if along is not None:
        estimates = [project(f, along, temperature_K) for f in estimates]
    if len(estimates) < 2:
        shape = (len(grids[along]),) if along is not None else tuple(len(g) for g in grids)
        return np.full(shape, np.nan)
    return np.std(estimates, axis=0, ddof=1)


def barrier(
    grid: np.ndarray, free: np.ndarray, basin: Sequence[float], top: Sequence[float]
) -> float:
    """Barrier (eV): the highest F in the ``top`` interval minus the lowest in ``basin``."""
    in_basin = (grid >= basin[0]) & (grid <= basin[1])
    in_top = (grid >= top[0]) & (grid <= top[1])
    return float(free[in_top].max() - free[in_basin].min())


def convergence(
    hills: pd.DataFrame,
    grids: Sequence[np.ndarray],
    bias_factor: float,
    basin,
    top,
    timestep_fs: float,
    points: int = 20,
    periods: Sequence[float | None] | None = None,
    along: int = 0,
    temperature_K: float | None = None,
) -> pd.DataFrame:
    """Barrier (eV) along CV ``along`` against simulated time (ps) from the hills
    deposited so far; a 2-D FES is first projected on that CV at ``temperature_K``."""
    if len(grids) > 1 and temperature_K is None:
        raise ValueError("projecting a 2-D FES on one CV needs its temperature")
    rows = []
    for n in np.unique(np.linspace(max(2, len(hills) // points), len(hills), points).astype(int)):
        free = project(fes(hills, grids, bias_factor, n, periods), along, temperature_K or 0.0)
        step = int(hills["step"].iloc[n - 1])
        rows.append(
            {
                "time_ps": step * timestep_fs / 1000.0,
                "hills": int(n),
                "barrier_eV": barrier(grids[along], free, basin, top),
            }
        )
    return pd.DataFrame(rows)


def barrier_estimate(curve: pd.DataFrame, fraction: float = 0.5) -> tuple[float, float]:
    """Barrier (eV) and its error: the mean and standard deviation of the barrier over
    the last ``fraction`` of the run (a converged well-tempered run fluctuates about its
    value; the spread is the honest error, not divided by a count of correlated points)."""
    tail = curve[curve["time_ps"] >= (1 - fraction) * curve["time_ps"].max()]["barrier_eV"]
    return float(tail.mean()), float(tail.std(ddof=1))


def barrier_drift(curve: pd.DataFrame, fraction: float = 0.5) -> float:
    """How far (eV) the barrier moved over the last ``fraction`` of the run, from a
    least-squares line through it: a converged run's is within its spread, a run still
    filling its basin keeps climbing (well-tempered metadynamics converges as the
    hills shrink, so a steady climb means the run was too short)."""
    tail = curve[curve["time_ps"] >= (1 - fraction) * curve["time_ps"].max()]
    if len(tail) < 3:
        return float("nan")
    slope = np.polyfit(tail["time_ps"], tail["barrier_eV"], 1)[0]
    return float(slope * (tail["time_ps"].max() - tail["time_ps"].min()))


def convergence_status(value: float, error: float, drift: float) -> tuple[str, str]:
    """``ok``, or ``not converged`` with the reason, when the barrier moved over the
    last half of the run by more than its spread there and more than 10 % of its value
    (eV in, words out)."""
    if np.isfinite(drift) and abs(drift) > max(error, 0.1 * abs(value)):
        word = "rising" if drift > 0 else "falling"
        return "not converged", f"barrier still {word}: {drift:+.3f} eV over the last half"
    return "ok", ""


@dataclass
class FreeEnergy:
    """What a run's hills give: the FES on its grid (``fes``: a column per metad CV in
    its unit, F and its error in eV and kJ/mol), the barrier against simulated time
    (``curve``), the barrier and its error (eV), the basin and top intervals along the
    barrier CV (its unit), and for a two-CV FES its projection on that CV (``line``)."""

    fes: pd.DataFrame
    curve: pd.DataFrame
    barrier_eV: float
    barrier_err_eV: float
    basin: list[float]
    top: list[float]
    line: pd.DataFrame | None = None


def free_energy(
    hills: pd.DataFrame, bias: Bias, barrier_block: Mapping, timestep_fs: float
) -> FreeEnergy:
    """The FES, barrier and convergence of a run from its hills (Colvars units: degrees
    for angles), along ``barrier_block['cv']`` (the first metad CV if not given) between
    its ``basin`` and ``top`` intervals (in the CV's unit: rad or Å)."""
    cvs = [bias.cv(n) for n in bias.metad_cvs]
    along = bias.metad_cvs.index(barrier_block.get("cv") or bias.metad_cvs[0])
    # the hills are in Colvars units (degrees for angles): grids and intervals too
    scales = [math.degrees(1.0) if cv.angular else 1.0 for cv in cvs]
    points = 721 if len(cvs) == 1 else 181  # per CV: a 2-D FES is 181 x 181
    grids = [
        np.linspace(lo * sc, hi * sc, points)
        for lo, hi, sc in zip(bias.grid_min, bias.grid_max, scales, strict=True)
    ]
    periods = [360.0 if cv.angular else None for cv in cvs]
    basin = [v * scales[along] for v in barrier_block["basin"]]
    top = [v * scales[along] for v in barrier_block["top"]]
    free = fes(hills, grids, bias.bias_factor, periods=periods)
    free_err = fes_error(hills, grids, bias.bias_factor, periods=periods)
    curve = convergence(
        hills,
        grids,
        bias.bias_factor,
        basin,
        top,
        timestep_fs,
        periods=periods,
        along=along,
        temperature_K=bias.temperature_K,
    )
    value, error = barrier_estimate(curve)
    axes = np.meshgrid(*(g / sc for g, sc in zip(grids, scales, strict=True)), indexing="ij")
    columns = {f"{cv.name}_{cv_unit(cv)}": a.ravel() for cv, a in zip(cvs, axes, strict=True)}
    table = pd.DataFrame(
        columns
        | {
            "F_eV": free.ravel(),
            "F_kJ_per_mol": free.ravel() * EV_TO_KJ_PER_MOL,
            "F_err_eV": free_err.ravel(),
            "F_err_kJ_per_mol": free_err.ravel() * EV_TO_KJ_PER_MOL,
        }
    )
    result = FreeEnergy(
        table,
        curve,
        value,
        error,
        basin=[v / scales[along] for v in basin],
        top=[v / scales[along] for v in top],
    )
    if len(cvs) > 1:
        column = list(columns)[along]
        result.line = _projection(hills, free, bias, grids, periods, along, column, scales[along])
    return result


def _projection(
    hills: pd.DataFrame,
    free: np.ndarray,
    bias: Bias,
    grids: list[np.ndarray],
    periods: list,
    along: int,
    column: str,
    scale: float,
) -> pd.DataFrame:
    """A 2-D FES projected on CV ``along`` (its grid in Colvars units, ``scale`` per CV
    unit), with its error: kJ/mol against the CV in its own unit (``column``)."""
    projected = project(free, along, bias.temperature_K)
    projected_err = fes_error(
        hills,
        grids,
        bias.bias_factor,
        periods=periods,
        along=along,
        temperature_K=bias.temperature_K,
    )
    return pd.DataFrame(
        {
            column: grids[along] / scale,
            "F_kJ_per_mol": projected * EV_TO_KJ_PER_MOL,
            "F_err_kJ_per_mol": projected_err * EV_TO_KJ_PER_MOL,
        }
    )
