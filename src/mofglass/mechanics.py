"""Mechanical and thermal properties from MD: equation of state, elastic constants from
strain fluctuations, Voigt-Reuss-Hill averages, thermal expansion, vibrational DOS.

Units: volumes Å³, pressures and moduli GPa, temperatures K, cells Å (rows are the
cell vectors, as in ASE), time fs, frequencies THz (and cm⁻¹).

ASE's equation-of-state tools fit energies; finite-temperature MD gives pressures with
error bars, so the Birch-Murnaghan pressure is fitted here with SciPy. The strain-
fluctuation formula and the Voigt-Reuss-Hill averages are a few lines of linear algebra
that no maintained library in the environment offers for MD cell trajectories
(matscipy gives 0 K finite-difference constants).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
from ase.units import GPa, kB
from scipy.optimize import curve_fit

from . import statistics

AMU_A3_TO_G_CM3 = 1.66053906660  # 1 amu/Å³ in g/cm³


def birch_murnaghan_pressure(volume, v0: float, k0: float, k0_prime: float = 4.0):
    """Third-order Birch-Murnaghan P(V) (GPa for ``k0`` in GPa); ``k0_prime`` = 4 is
    the second-order form."""
    x = (v0 / np.asarray(volume, dtype=float)) ** (2.0 / 3.0)
    return 1.5 * k0 * (x**3.5 - x**2.5) * (1.0 + 0.75 * (k0_prime - 4.0) * (x - 1.0))


def fit_birch_murnaghan(
    volumes_A3: Sequence[float],
    pressures_GPa: Sequence[float],
    errors_GPa: Sequence[float] | None = None,
    order: int = 2,
) -> dict:
    """Fit P(V) with the Birch-Murnaghan equation of state of ``order`` 2 (K0' = 4, as
    Castel et al.) or 3. Returns V0 (Å³), K0 (GPa), K0' and their standard errors; with
    ``errors_GPa`` (one standard error per point) the errors are absolute."""
    v = np.asarray(volumes_A3, dtype=float)
    p = np.asarray(pressures_GPa, dtype=float)
    sigma = None if errors_GPa is None else np.asarray(errors_GPa, dtype=float)
    if sigma is not None and not np.all(sigma > 0):
        sigma = None  # a zero error (one frame) would make the fit meaningless
    slope = np.polyfit(v, p, 1)[0]
    start = [v[np.argmin(np.abs(p))], max(-slope * v.mean(), 1e-3)]
    if order == 3:
        start.append(4.0)
    elif order != 2:
        raise ValueError(f"Birch-Murnaghan order 2 or 3, not {order}")
    values, covariance = curve_fit(
        birch_murnaghan_pressure, v, p, p0=start, sigma=sigma, absolute_sigma=sigma is not None
    )
    errors = np.sqrt(np.diag(covariance))
    residual = p - birch_murnaghan_pressure(v, *values)
    dof = max(len(v) - len(values), 1)
    chi2 = float(np.sum((residual / (sigma if sigma is not None else 1.0)) ** 2) / dof)
    return {
        "order": order,
        "v0_A3": float(values[0]),
        "v0_err_A3": float(errors[0]),
        "k0_GPa": float(values[1]),
        "k0_err_GPa": float(errors[1]),
        "k0_prime": float(values[2]) if order == 3 else 4.0,
        "k0_prime_err": float(errors[2]) if order == 3 else 0.0,
        "reduced_chi2": chi2,
    }


def pressure_slope(
    volumes_A3: Sequence[float], pressures_GPa: Sequence[float], errors_GPa: Sequence[float]
) -> tuple[float, float]:
    """dP/dV (GPa/Å³) of a straight line through P(V) and its standard error: weighted
    by the points' errors where every point has one, else from the scatter (no error
    for two points)."""
    v = np.asarray(volumes_A3, dtype=float)
    p = np.asarray(pressures_GPa, dtype=float)
    sigma = np.asarray(errors_GPa, dtype=float)
    x = np.column_stack([v - v.mean(), np.ones_like(v)])
    if np.all(sigma > 0):
        w = 1.0 / sigma
        coef, *_ = np.linalg.lstsq(x * w[:, None], p * w, rcond=None)
        return float(coef[0]), float(
            np.sqrt(np.linalg.inv((x * w[:, None]).T @ (x * w[:, None]))[0, 0])
        )
    coef, *_ = np.linalg.lstsq(x, p, rcond=None)
    dof = len(v) - 2
    if dof < 1:
        return float(coef[0]), float("nan")
    variance = np.sum((p - x @ coef) ** 2) / dof
    return float(coef[0]), float(np.sqrt(variance / np.sum((v - v.mean()) ** 2)))


def density_g_cm3(mass_amu: float, volume_A3: float) -> float:
    return mass_amu / volume_A3 * AMU_A3_TO_G_CM3


def cells_from_thermo(thermo: pd.DataFrame) -> np.ndarray:
    """Cell matrices (n, 3, 3) from LAMMPS's lx, ly, lz, xy, xz, yz columns (Å)."""
    n = len(thermo)
    cells = np.zeros((n, 3, 3))
    cells[:, 0, 0] = thermo["lx_A"]
    cells[:, 1, 0] = thermo["xy_A"]
    cells[:, 1, 1] = thermo["ly_A"]
    cells[:, 2, 0] = thermo["xz_A"]
    cells[:, 2, 1] = thermo["yz_A"]
    cells[:, 2, 2] = thermo["lz_A"]
    return cells


def strains(cells: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """Voigt small strains (n, 6: xx, yy, zz, then engineering shears yz, xz, xy) of
    cells (rows are cell vectors, Å) against ``reference`` (the mean cell by default).

    With rows as vectors, h = h0 Fᵀ for the deformation gradient F, so the small strain
    is the symmetric part of h0⁻¹ h − 1. Written out here rather than through matscipy's
    ``full_3x3_to_Voigt_6_strain``, whose meaning changed between releases (older ones
    subtract 1 from the diagonal, expecting F, newer ones take the strain).
    """
    cells = np.asarray(cells, dtype=float)
    reference = cells.mean(axis=0) if reference is None else np.asarray(reference, dtype=float)
    e = np.linalg.solve(reference, cells) - np.eye(3)  # h0⁻¹ h − 1 for every frame
    e = 0.5 * (e + np.swapaxes(e, -1, -2))
    return np.stack(
        [e[:, 0, 0], e[:, 1, 1], e[:, 2, 2], 2 * e[:, 1, 2], 2 * e[:, 0, 2], 2 * e[:, 0, 1]],
        axis=1,
    )


def fluctuation_stiffness(cells: np.ndarray, temperature_K: float) -> np.ndarray:
    """Elastic stiffness C (6x6 Voigt, GPa) from NPT cell fluctuations: the compliance
    S = <V> / (k_B T) <δε δε> (Parrinello & Rahman), C = S⁻¹."""
    volume = float(np.mean(np.abs(np.linalg.det(cells))))
    covariance = np.cov(strains(cells).T)
    compliance = volume / (kB * temperature_K) * covariance  # Å³/eV
    return np.linalg.inv(compliance) / GPa


def volume_fluctuation_bulk_modulus(volumes_A3: Sequence[float], temperature_K: float) -> float:
    """K = k_B T <V> / <δV²> (GPa) from NPT volume fluctuations."""
    v = np.asarray(volumes_A3, dtype=float)
    return float(kB * temperature_K * v.mean() / v.var(ddof=1) / GPa)


def vrh(stiffness_GPa: np.ndarray) -> dict:
    """Voigt, Reuss and Hill averages of bulk (K), shear (G) and Young's (E) moduli
    (GPa) and Poisson's ratio (ν) of a 6x6 stiffness."""
    c = np.asarray(stiffness_GPa, dtype=float)
    s = np.linalg.inv(c)
    k_v = (c[0, 0] + c[1, 1] + c[2, 2] + 2 * (c[0, 1] + c[0, 2] + c[1, 2])) / 9
    g_v = (
        c[0, 0]
        + c[1, 1]
        + c[2, 2]
        - (c[0, 1] + c[0, 2] + c[1, 2])
        + 3 * (c[3, 3] + c[4, 4] + c[5, 5])
    ) / 15
    k_r = 1 / (s[0, 0] + s[1, 1] + s[2, 2] + 2 * (s[0, 1] + s[0, 2] + s[1, 2]))
    g_r = 15 / (
        4 * (s[0, 0] + s[1, 1] + s[2, 2])
        - 4 * (s[0, 1] + s[0, 2] + s[1, 2])
        + 3 * (s[3, 3] + s[4, 4] + s[5, 5])
    )
    out = {}
    for name, k, g in (
        ("voigt", k_v, g_v),
        ("reuss", k_r, g_r),
        ("hill", (k_v + k_r) / 2, (g_v + g_r) / 2),
    ):
        out[f"K_{name}_GPa"] = float(k)
        out[f"G_{name}_GPa"] = float(g)
        out[f"E_{name}_GPa"] = float(9 * k * g / (3 * k + g))
        out[f"nu_{name}"] = float((3 * k - 2 * g) / (2 * (3 * k + g)))
    return out


def fluctuation_moduli(cells: np.ndarray, temperature_K: float) -> pd.DataFrame:
    """Moduli from strain fluctuations of the whole run, with block-average standard
    errors. The block length is ten statistical inefficiencies of the strains (from the
    blocking analysis), so that each block's own fluctuations are sampled; fewer than
    four such blocks leave the errors ``not converged``. Columns: quantity, value,
    error, unit, n_samples, n_effective, status, reason."""
    n = len(cells)
    g = statistics.statistical_inefficiency(strains(cells))
    long_blocks = n // math.ceil(10 * g)  # blocks ten statistical inefficiencies long
    n_blocks = int(min(10, max(2, long_blocks)))
    whole = vrh(fluctuation_stiffness(cells, temperature_K))
    volumes = np.abs(np.linalg.det(cells))
    whole["K_volume_fluctuation_GPa"] = volume_fluctuation_bulk_modulus(volumes, temperature_K)
    blocks = []
    for part in np.array_split(np.arange(n), n_blocks):
        block = vrh(fluctuation_stiffness(cells[part], temperature_K))
        block["K_volume_fluctuation_GPa"] = volume_fluctuation_bulk_modulus(
            volumes[part], temperature_K
        )
        blocks.append(block)
    rows = []
    for key, value in whole.items():
        spread = np.array([b[key] for b in blocks])
        estimate = statistics.Estimate(
            value, float(spread.std(ddof=1) / np.sqrt(n_blocks)), n, n / g
        )
        if long_blocks < 4:
            estimate = estimate.failing(
                statistics.NOT_CONVERGED,
                f"{n / g:.0f} independent strain samples: fewer than 4 blocks of 10",
            )
        quantity = key.removesuffix("_GPa")
        rows.append(
            {
                "quantity": quantity,
                "unit": "GPa" if key.endswith("_GPa") else "",
                **statistics.judge(estimate, quantity).row(),
            }
        )
    return pd.DataFrame(rows, columns=MODULI_COLUMNS)


MODULI_COLUMNS = statistics.ESTIMATE_COLUMNS


def running_moduli(cells: np.ndarray, temperature_K: float, points: int = 20) -> pd.DataFrame:
    """Hill K, G and the volume-fluctuation K from the first n frames, for the running
    convergence figure (n from 10 % of the run to all of it)."""
    rows = []
    for n in np.unique(np.linspace(max(10, len(cells) // 10), len(cells), points).astype(int)):
        moduli = vrh(fluctuation_stiffness(cells[:n], temperature_K))
        volumes = np.abs(np.linalg.det(cells[:n]))
        rows.append(
            {
                "frames": int(n),
                "K_hill_GPa": moduli["K_hill_GPa"],
                "G_hill_GPa": moduli["G_hill_GPa"],
                "K_volume_fluctuation_GPa": volume_fluctuation_bulk_modulus(volumes, temperature_K),
            }
        )
    return pd.DataFrame(rows)


def conventional_volume_ratio(atoms, symprec: float = 0.1) -> float | None:
    """V(conventional cell) / V(cell) of a cubic crystal (spglib's standard cell: 2 for
    a body-centred primitive cell, 4 for a face-centred one, 1/8 for a 2x2x2 supercell
    of the conventional one); None for a structure that is not cubic (space groups
    195-230) at ``symprec`` (Å)."""
    import spglib

    cell = (atoms.cell[:], atoms.get_scaled_positions(), atoms.numbers)
    dataset = spglib.get_symmetry_dataset(cell, symprec=symprec)
    if dataset is None or dataset.number < 195:
        return None
    return float(abs(np.linalg.det(dataset.std_lattice)) / atoms.get_volume())


def cubic_lattice_parameter(volume_A3: float, error_A3: float, ratio: float) -> tuple[float, float]:
    """The cubic lattice parameter a = (ratio V)^(1/3) (Å) of a cell of volume V (Å³)
    and its standard error, a/3 times the relative error of V."""
    a = float((ratio * volume_A3) ** (1 / 3))
    return a, a * error_A3 / (3 * volume_A3)


def expansion_estimate(
    temperatures_K: Sequence[float],
    values: Sequence[float],
    errors: Sequence[float] | None = None,
    at_K: float = 300.0,
    degree: int = 2,
) -> tuple[float, float]:
    """(1/x) dx/dT at ``at_K`` (1/K) and its standard error, from a least-squares
    polynomial fit of x(T) weighted by the points' standard errors ``errors``.

    The degree is lowered until the fit keeps one degree of freedom (three points: a
    line). The error propagates the fit's covariance (numpy's, unscaled when the points
    carry errors, scaled by the residuals when they do not) through
    alpha = p'(T)/p(T); it is NaN when nothing bounds it (no errors and no spare point).
    """
    t = np.asarray(temperatures_K, dtype=float)
    x = np.asarray(values, dtype=float)
    degree = max(1, min(degree, len(t) - 2))
    if len(t) < 2:
        return float("nan"), float("nan")
    sigma = None if errors is None else np.asarray(errors, dtype=float)
    weighted = sigma is not None and np.all(np.isfinite(sigma)) and np.all(sigma > 0)
    powers = np.arange(degree, -1, -1)  # numpy's order: highest power first
    try:
        if weighted:
            coefficients, cov = np.polyfit(t, x, degree, w=1.0 / sigma, cov="unscaled")
        elif len(t) > degree + 2:
            coefficients, cov = np.polyfit(t, x, degree, cov=True)
        else:
            coefficients, cov = np.polyfit(t, x, degree), np.full((degree + 1,) * 2, np.nan)
    except (ValueError, np.linalg.LinAlgError):
        return float("nan"), float("nan")
    p = float(np.sum(coefficients * at_K**powers))
    dp_dc = at_K ** powers.astype(float)
    dslope_dc = np.where(powers > 0, powers * at_K ** np.maximum(powers - 1, 0), 0.0)
    slope = float(np.sum(coefficients * dslope_dc))
    alpha = slope / p
    jacobian = (dslope_dc * p - slope * dp_dc) / p**2
    error = float(np.sqrt(jacobian @ cov @ jacobian))
    return alpha, error


def vdos(
    velocities: np.ndarray, masses: np.ndarray, symbols: Sequence[str], timestep_fs: float
) -> pd.DataFrame:
    """Vibrational density of states from velocities (n_frames, n_atoms, 3) sampled
    every ``timestep_fs``: the Fourier transform of the mass-weighted velocity
    autocorrelation, computed as the mass-weighted power spectrum of the velocities
    (Wiener-Khinchin) with a Hann window. Columns: frequency_THz, wavenumber_cm-1,
    total and one per element, each normalised to unit area over frequency (1/THz)."""
    v = np.asarray(velocities, dtype=float)
    v = v - v.mean(axis=0)  # drop any constant drift
    window = np.hanning(len(v))[:, None, None]
    spectrum = np.abs(np.fft.rfft(v * window, axis=0)) ** 2  # (n_freq, n_atoms, 3)
    per_atom = spectrum.sum(axis=2) * np.asarray(masses, dtype=float)[None, :]
    frequency = np.fft.rfftfreq(len(v), d=timestep_fs * 1e-15) / 1e12
    table = {"frequency_THz": frequency, "wavenumber_cm-1": frequency * 33.35641}

    def normalised(column):
        area = np.trapezoid(column, frequency)
        return column / area if area > 0 else column

    table["total"] = normalised(per_atom.sum(axis=1))
    symbols = np.asarray(symbols)
    for element in sorted(set(symbols)):
        table[element] = normalised(per_atom[:, symbols == element].sum(axis=1))
    return pd.DataFrame(table)


#: Columns of a model's mechanics summary (units in ``unit``; statuses of
#: :mod:`mofglass.statistics`).
SUMMARY_COLUMNS = [
    "model",
    "group",
    "sample",
    "quantity",
    "value",
    "error",
    "unit",
    "n",
    "n_effective",
    "status",
    "reason",
]


def sample_rows(
    eos_fits: Sequence[pd.Series],
    fluctuations: Sequence[pd.DataFrame],
    expansions: Sequence[pd.DataFrame],
    reference_densities: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Every scalar of every sample (columns ``SUMMARY_COLUMNS[2:]``), judged: K, ρ0, V0
    of each P(V) fit, the fluctuation moduli, the expansion coefficients (with the fit's
    error where the points had one; without, not converged); a failed run's row says
    ``failed`` and why. ``reference_densities`` (g/cm³ by sample: the structure it
    started from) judge the fitted densities."""
    rows = _Rows(dict(reference_densities or {}))
    for fit in eos_fits:
        _add_eos(rows, fit)
    for table in fluctuations:
        _add_fluctuations(rows, table)
    for table in expansions:
        _add_expansions(rows, table)
    table = pd.DataFrame(rows, columns=SUMMARY_COLUMNS[2:])
    table["reason"] = table["reason"].fillna("")
    return table


class _Rows(list):
    """Summary rows, each value judged (:func:`mofglass.statistics.judge`) with its
    sample's reference density (g/cm³, ``densities``)."""

    def __init__(self, densities: dict[str, float]):
        super().__init__()
        self.densities = densities

    def add(self, sample, quantity, unit, estimate=None, reason="", status="failed") -> None:
        if estimate is None:  # the run or the fit failed or did not converge: no value
            self.append(
                {"sample": sample, "quantity": quantity, "unit": unit, "n": 0}
                | {"status": status, "reason": reason}
            )
            return
        judged = statistics.judge(estimate, quantity, self.densities.get(sample))
        self.append({"sample": sample, "quantity": quantity, "unit": unit, "n": 1} | judged.row())


def _add_eos(rows: _Rows, fit: pd.Series) -> None:
    """K, ρ0 and V0 of one P(V) fit (``_0K`` for relaxed cells), or why there are none."""
    if isinstance(fit.get("failed_points"), str) and fit["failed_points"]:
        rows.add(fit["sample"], "eos_runs", "", reason=fit["failed_points"])
    # relaxed cells: static (0 K) quantities, never set beside a 300 K value's name
    tail = "_0K" if fit.get("method") == "relaxed" else ""
    k = f"K_PV{tail}"
    if fit["verdict"] != "ok":
        said = f"{fit['verdict']}: {fit['reason']}"
        if fit["verdict"] == statistics.NOT_CONVERGED:
            rows.add(fit["sample"], k, "GPa", reason=said, status=statistics.NOT_CONVERGED)
        else:
            rows.add(fit["sample"], k, "GPa", reason=said)
        return
    if np.isfinite(fit.get("start_density_g_cm3", np.nan)):
        rows.densities.setdefault(fit["sample"], float(fit["start_density_g_cm3"]))
    for quantity, value, unit in (
        (k, "k0_GPa", "GPa"),
        (f"rho0{tail}", "rho0_g_cm3", "g/cm3"),
        (f"V0{tail}", "v0_A3", "A3"),
    ):
        error = value.replace("_", "_err_", 1)
        points = int(fit["points_ok"])
        estimate = statistics.Estimate(fit[value], fit[error], points, points)
        rows.add(fit["sample"], quantity, unit, estimate)


def _add_fluctuations(rows: _Rows, table: pd.DataFrame) -> None:
    """The fluctuation moduli of one sample, as judged where they were computed."""
    for _, r in table.iterrows():
        if r["verdict"] != "ok":
            rows.add(r["sample"], "K_hill", "GPa", reason=f"{r['verdict']}: {r['reason']}")
            continue
        rows.append(
            {
                "sample": r["sample"],
                "quantity": r["quantity"],
                "value": r["value"],
                "error": r["error"],
                "unit": r["unit"] if isinstance(r["unit"], str) else "",
                "n": 1,
                "n_effective": r["n_effective"],
                "status": r["status"],
                "reason": r["reason"] if isinstance(r["reason"], str) else "",
            }
        )


def _add_expansions(rows: _Rows, table: pd.DataFrame) -> None:
    """The expansion coefficients of one sample: with the fit's error, or not converged
    without one."""
    for _, r in table.iterrows():
        if isinstance(r.get("failed"), str) and r["failed"]:
            rows.add(r["sample"], r["quantity"], r["unit"], reason=r["failed"])
            continue
        # a table read back keeps a missing number as empty text
        value, error = (
            float(pd.to_numeric(r.get(k, np.nan), errors="coerce")) for k in ("value", "error")
        )
        points = int(str(r["points_ok"]).split()[0])
        if np.isfinite(error):
            estimate = statistics.Estimate(value, error, points, points)
        else:
            estimate = statistics.Estimate(value, np.nan, 1, np.nan).failing(
                statistics.NOT_CONVERGED,
                f"no error estimate ({r['points_ok']} (T, P) points ran)",
            )
        rows.add(r["sample"], r["quantity"], r["unit"], estimate)


def group_means(per_sample: pd.DataFrame) -> pd.DataFrame:
    """Each group of two or more samples (the glass replicas): the mean of every
    quantity with its standard error over the samples, judged; a group with a failed or
    flagged sample says so."""
    groups = []
    for (group, quantity), part in per_sample.groupby(["group", "quantity"], sort=False):
        if part["sample"].nunique() < 2:
            continue
        usable = part[part["status"] != "failed"]
        estimate = statistics.independent_mean(usable["value"])
        if len(usable) < len(part):
            estimate = estimate.failing(
                statistics.NOT_CONVERGED, f"{len(part) - len(usable)} of {len(part)} failed"
            )
        bad = usable[usable["status"] != statistics.OK]
        if len(bad):
            estimate = estimate.failing(
                bad["status"].iloc[0], f"{len(bad)} of {len(part)}: {bad['reason'].iloc[0]}"
            )
        judged = statistics.judge(estimate, quantity)
        groups.append(
            {
                "group": group,
                "sample": f"{group} (mean of {len(usable)})",
                "quantity": quantity,
                "unit": part["unit"].iloc[0],
                **judged.row(),
                "n": len(usable),
            }
        )
    return pd.DataFrame(groups)


def config_errors(config: dict) -> Iterator[str]:
    """Mechanics samples or models the config does not define."""
    mechanics = config.get("mechanics", {})
    if mechanics.get("enabled", False):
        for structure in mechanics.get("crystals", []):
            if structure not in config.get("structures", {}):
                yield f"mechanics.crystals: no structure {structure!r}"
        for model in mechanics.get("models") or []:
            if model not in config.get("models", {}):
                yield f"mechanics.models: no model {model!r}"
