"""The SNAP fit: a weighted ridge solution of the rows, its prediction, bootstrap
committee members, and the hyper-parameters (cutoff factor, radii, weights,
regularisation) tuned against the validation split with SciPy.

Units: eV, eV/Å, GPa.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from ase import Atoms
from ase.units import GPa
from scipy.linalg import lstsq
from scipy.optimize import minimize, minimize_scalar

from ..frames import attach_results
from ..lammps import (
    stress_to_ase_frame,
    to_ase_frame,
)
from .rows import Rows, RowWeights, frame_rows, system
from .settings import SNAPSettings

log = logging.getLogger(__name__)


def solve(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float, n_species: int, n_extra: int = 0
) -> np.ndarray:
    """Weighted ridge solution, in two steps.

    First the per-element constants alone, from the energy rows: the minimum-norm
    least-squares reference energies (eV/atom) of the compositions, shared evenly where
    every frame has one composition. Then the
    ridge fit of everything on what the constants leave, columns scaled to unit RMS
    before the penalty ``alpha * |beta|^2``, constants included (a correction, now).
    """
    n_snap = x.shape[1] - n_extra  # per-element blocks first, pair splines after
    constants = np.arange(0, n_snap, n_snap // n_species)
    energy_rows = np.any(x[:, constants] != 0, axis=1)
    reference = np.zeros(x.shape[1])
    if energy_rows.any():
        rows = w[energy_rows, None]
        # singular values below 1e-10 of the largest are rounding, not information: a
        # composition shared by every frame leaves one, and the others would blow up
        fitted, *_ = lstsq(
            x[np.ix_(energy_rows, constants)] * rows, y[energy_rows] * rows[:, 0], cond=1e-10
        )
        reference[constants] = fitted
    y = y - x @ reference
    scale = np.sqrt(np.mean(x**2, axis=0))
    scale[scale == 0] = 1.0
    a = (x / scale) * w[:, None]
    b = y * w
    if alpha > 0:
        a = np.vstack([a, np.sqrt(alpha) * np.eye(x.shape[1])])
        b = np.concatenate([b, np.zeros(x.shape[1])])
    beta, *_ = lstsq(a, b, lapack_driver="gelsd", cond=None if alpha > 0 else 1e-10)
    return beta / scale + reference


def predict(rows: Rows, coefficients: np.ndarray, atoms: Atoms) -> Atoms:
    """The fit's own prediction for a frame (ASE frame), reference potential included."""
    energy = (rows.energy @ coefficients + rows.ref_energy) * rows.n_atoms
    forces = (rows.forces @ coefficients + rows.ref_forces).reshape(-1, 3)
    stress = (rows.stress @ coefficients + rows.ref_stress) * GPa
    result = atoms.copy()
    forces, stress = to_ase_frame(rows.rot, forces), stress_to_ase_frame(rows.rot, stress)
    attach_results(result, energy, forces, stress)
    return result


@dataclass
class Fit:
    """A fitted SNAP: settings, coefficients (eV) and the regularisation used."""

    settings: SNAPSettings
    coefficients: np.ndarray
    alpha: float
    validation_score: float = float("nan")
    trace: list[dict] = field(default_factory=list)


def bootstrap_members(
    train_frames: Sequence[Atoms], fit: Fit, weights: RowWeights, members: int, seed: int
) -> list[np.ndarray]:
    """Coefficients of a committee: the fit's tuned settings and regularisation solved
    again on ``members`` bootstrap resamples of the training frames (drawn with
    replacement, as many as there are), descriptors computed once."""
    rows = [frame_rows(a, fit.settings) for a in train_frames]
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(members):
        pick = rng.integers(0, len(train_frames), len(train_frames))
        x, y, w = system([rows[i] for i in pick], [train_frames[i] for i in pick], weights)
        out.append(solve(x, y, w, fit.alpha, len(fit.settings.species), fit.settings.n_extra))
    return out


def weighted_rmse(x, y, w, coefficients) -> float:
    return float(np.sqrt(np.mean((w * (x @ coefficients - y)) ** 2)))


def fit_alpha(
    train: tuple,
    validation: tuple | None,
    n_species: int,
    alpha: float,
    tune: bool,
    n_extra: int = 0,
) -> tuple[np.ndarray, float, float]:
    """Coefficients for ``alpha``, or for the alpha in [1e-10, 1e2] that minimises the
    weighted validation RMSE; returns (coefficients, alpha, validation score)."""
    if tune and validation is not None:

        def score(log_alpha: float) -> float:
            beta = solve(*train, 10.0**log_alpha, n_species, n_extra)
            return weighted_rmse(*validation, beta)

        best = minimize_scalar(
            score, bounds=(-10.0, 2.0), method="bounded", options={"xatol": 0.05}
        )
        alpha = 10.0 ** float(best.x)
    beta = solve(*train, alpha, n_species, n_extra)
    val = weighted_rmse(*validation, beta) if validation is not None else float("nan")
    return beta, alpha, val


def _tuned(settings: SNAPSettings, tune: Mapping, evaluate, trace: list[dict]) -> SNAPSettings:
    """The settings whose cutoff factor, radii and weights (those ``tune`` names) give
    the lowest weighted validation RMSE by Nelder-Mead (``evaluate``: coefficients,
    alpha and score of settings); every evaluation appended to ``trace``."""
    names, x0 = _parameters(settings, tune)

    def objective(x: np.ndarray) -> float:
        s = _settings_from(settings, names, x)
        _, a, score = evaluate(s)
        trace.append(
            {
                "rcutfac": s.rcutfac,
                "alpha": a,
                "validation_score": score,
                **{f"radius_{e}": s.radii[e] for e in s.species},
                **{f"weight_{e}": s.weights[e] for e in s.species},
            }
        )
        log.info("tuning: %s -> weighted validation RMSE %.5g", _describe(s, a), score)
        return score if np.isfinite(score) else 1e30

    result = minimize(
        objective,
        x0,
        method="Nelder-Mead",
        options={
            "maxfev": int(tune.get("max_evaluations", 20)),
            "xatol": 1e-3,
            "fatol": 1e-6,
            "initial_simplex": _simplex(x0),
        },
    )
    return _settings_from(settings, names, result.x)


def fit(
    train_frames: Sequence[Atoms],
    settings: SNAPSettings,
    weights: RowWeights,
    alpha: float = 1e-6,
    validation_frames: Sequence[Atoms] = (),
    tune: Mapping | None = None,
) -> Fit:
    """Fit SNAP coefficients; with ``tune`` and validation frames, also tune the cutoff
    factor, element radii and weights (Nelder-Mead, at most ``tune['max_evaluations']``
    descriptor recomputations) and the regularisation (bounded scalar search)."""
    n_species = len(settings.species)
    tune = dict(tune or {})
    tune_alpha = bool(tune.get("alpha", False)) and len(validation_frames) > 0

    def evaluate(s: SNAPSettings) -> tuple[np.ndarray, float, float]:
        train = system([frame_rows(a, s) for a in train_frames], train_frames, weights)
        validation = None
        if validation_frames:
            validation = system(
                [frame_rows(a, s) for a in validation_frames], validation_frames, weights
            )
        return fit_alpha(train, validation, n_species, alpha, tune_alpha, s.n_extra)

    hyper = bool(tune.get("cutoff") or tune.get("radii") or tune.get("weights"))
    trace: list[dict] = []
    if hyper and validation_frames:
        settings = _tuned(settings, tune, evaluate, trace)
    elif hyper:
        log.warning("no validation frames: SNAP hyper-parameters are not tuned")
    beta, alpha, score = evaluate(settings)
    log.info("fit: %s, weighted validation RMSE %.5g", _describe(settings, alpha), score)
    return Fit(settings, beta, alpha, score, trace)


def _describe(s: SNAPSettings, alpha: float) -> str:
    radii = ", ".join(f"{e} {s.radii[e]:.3f}" for e in s.species)
    weights = ", ".join(f"{e} {s.weights[e]:.3f}" for e in s.species)
    return f"rcutfac {s.rcutfac:.4f}, radii {radii}, weights {weights}, alpha {alpha:.3g}"


def _parameters(s: SNAPSettings, tune: Mapping) -> tuple[list[str], np.ndarray]:
    """Optimisation variables (logarithms): rcutfac, radii, weights (the first element's
    weight stays fixed: only ratios matter)."""
    names, x = [], []
    if tune.get("cutoff"):
        names.append("rcutfac")
        x.append(np.log(s.rcutfac))
    if tune.get("radii"):
        for e in s.species:
            names.append(f"radius:{e}")
            x.append(np.log(s.radii[e]))
    if tune.get("weights"):
        for e in s.species[1:]:
            names.append(f"weight:{e}")
            x.append(np.log(s.weights[e]))
    return names, np.array(x)


def _simplex(x0: np.ndarray, step: float = 0.1) -> np.ndarray:
    return np.vstack([x0, x0 + step * np.eye(len(x0))])


def _settings_from(s: SNAPSettings, names: Sequence[str], x: np.ndarray) -> SNAPSettings:
    radii, weights, rcutfac = dict(s.radii), dict(s.weights), s.rcutfac
    for name, value in zip(names, x, strict=True):
        value = float(np.exp(value))
        if name == "rcutfac":
            rcutfac = value
        elif name.startswith("radius:"):
            radii[name.split(":", 1)[1]] = value
        else:
            weights[name.split(":", 1)[1]] = value
    return replace(s, rcutfac=rcutfac, radii=radii, weights=weights)
