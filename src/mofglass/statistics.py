"""Error bars and verdicts for every number mofglass reports.

Means of one trajectory get the blocking analysis of Flyvbjerg and Petersen (J. Chem.
Phys. 91, 461, 1989) through pyblock: the standard error is read where it stops growing
with the block size, and the number of effectively independent samples is
var(x) / SEM². Means over independent samples (replicas, structures) get the plain
standard error. Every estimate then gets a status:

``ok``
    the value can be read as a result;
``not converged``
    its error is larger than ``max_relative_error`` of the value, the blocking analysis
    found no plateau or had too few samples, or the two halves of the run disagree;
``unphysical``
    the value breaks a physical bound (a negative modulus, a Poisson ratio outside
    (-1, 0.5), a density more than 50 % from the structure's).

Units are those of the values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

OK, NOT_CONVERGED, UNPHYSICAL = "ok", "not converged", "unphysical"
CRYSTALLINE = "crystalline"  # a melt-quench whose metals kept their crystal sites (analysis)
#: Fewer samples than this: no block analysis is attempted.
MIN_SAMPLES = 16
#: Fewer effectively independent samples than this: the error itself is unreliable.
MIN_EFFECTIVE = 10
#: An error above this fraction of the value: not converged.
MAX_RELATIVE_ERROR = 0.5
#: Quantities judged by an absolute error instead (fractions near 0 or 1).
MAX_ABSOLUTE_ERROR = {"fraction_": 0.05}


#: Columns of a table of estimates (mofglass's summaries): the quantity, its value and
#: error in its unit, the samples behind it, the effective ones, its status and why.
ESTIMATE_COLUMNS = [
    "quantity",
    "value",
    "error",
    "unit",
    "n_samples",
    "n_effective",
    "status",
    "reason",
]


@dataclass(frozen=True)
class Estimate:
    """A mean with its standard error, the samples behind it, and its status."""

    value: float
    error: float
    n_samples: int
    n_effective: float
    status: str = OK
    reason: str = ""

    def failing(self, status: str, reason: str) -> Estimate:
        """The estimate with a worse status (unphysical outranks not converged)."""
        if self.status == UNPHYSICAL or (self.status == status and self.reason):
            return self
        return replace(self, status=status, reason=reason)

    def row(self) -> dict:
        return {
            "value": self.value,
            "error": self.error,
            "n_samples": self.n_samples,
            "n_effective": self.n_effective,
            "status": self.status,
            "reason": self.reason,
        }


def trajectory_mean(values: Sequence[float]) -> Estimate:
    """Mean of a correlated series (one trajectory) with its blocking-analysis error."""
    import pyblock

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Estimate(math.nan, math.nan, 0, 0.0, NOT_CONVERGED, "no samples")
    mean = float(x.mean())
    if n > 1 and np.all(x == x[0]):  # a constant series (every Zn four-coordinated): exact
        return Estimate(mean, 0.0, n, float(n))
    if n < MIN_SAMPLES:
        return Estimate(
            mean, math.nan, n, math.nan, NOT_CONVERGED, f"{n} samples, too few for an error"
        )
    variance = float(x.var(ddof=1))
    stats = pyblock.blocking.reblock(x)
    optimal = pyblock.blocking.find_optimal_block(n, stats)[0]
    plateau = isinstance(optimal, (int, np.integer)) and not math.isnan(optimal)
    # without a plateau the largest reliable block still bounds the error from below
    level = int(optimal) if plateau else len(stats) - 1
    error = float(stats[level].std_err)
    estimate = Estimate(mean, error, n, min(float(n), variance / error**2))
    if not plateau:
        estimate = estimate.failing(
            NOT_CONVERGED, "no plateau in the block analysis: the run is too short"
        )
    elif estimate.n_effective < MIN_EFFECTIVE:
        estimate = estimate.failing(
            NOT_CONVERGED,
            f"{estimate.n_effective:.0f} independent samples, fewer than {MIN_EFFECTIVE}",
        )
    return _check_halves(estimate, x)


def _check_halves(estimate: Estimate, x: np.ndarray) -> Estimate:
    """Not converged when the two halves' means differ by more than 3 sigma (each half's
    error is about sqrt(2) times the whole's)."""
    half = len(x) // 2
    drift = abs(float(x[:half].mean()) - float(x[half:].mean()))
    if math.isfinite(estimate.error) and drift > 3 * 2.0 * estimate.error and drift > 0:
        return estimate.failing(
            NOT_CONVERGED, f"the halves of the run differ by {drift:.3g} (drift)"
        )
    return estimate


def independent_mean(values: Sequence[float], exact: bool = False) -> Estimate:
    """Mean of independent samples with the standard error over them; ``exact``: the
    values are not samples of anything (one given structure), so one value is a result."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Estimate(math.nan, math.nan, 0, 0.0, NOT_CONVERGED, "no samples")
    if n == 1:
        if exact:
            return Estimate(float(x[0]), 0.0, 1, 1.0)
        return Estimate(float(x[0]), math.nan, 1, 1.0, NOT_CONVERGED, "one sample, no error")
    return Estimate(float(x.mean()), float(x.std(ddof=1) / math.sqrt(n)), n, float(n))


def statistical_inefficiency(series: np.ndarray) -> float:
    """g = N SEM² / var (≥ 1): the number of steps between independent samples of each
    column of ``series`` (n, k), the largest over columns, from the blocking analysis."""
    series = np.atleast_2d(np.asarray(series, dtype=float).T).T
    worst = 1.0
    for column in series.T:
        estimate = trajectory_mean(column)
        if math.isfinite(estimate.n_effective) and estimate.n_effective > 0:
            worst = max(worst, estimate.n_samples / estimate.n_effective)
    return worst


#: Physical bounds (low, high), exclusive, by quantity-name prefix (or suffix, for a
#: name that starts with ``_``: ``zn_n_coordination``, ``zn_o_coordination``).
BOUNDS: Mapping[str, tuple[float, float]] = {
    "nu_": (-1.0, 0.5),
    "K_": (0.0, math.inf),
    "G_": (0.0, math.inf),
    "E_": (0.0, math.inf),
    "density": (0.0, math.inf),
    "rho0": (0.0, math.inf),
    "V0": (0.0, math.inf),
    "_coordination": (0.0, math.inf),
}


def judge(
    estimate: Estimate,
    quantity: str,
    reference_density: float | None = None,
    max_relative_error: float = MAX_RELATIVE_ERROR,
) -> Estimate:
    """``estimate`` with its status: unphysical outside the quantity's bounds (and, for
    a density, more than 50 % from ``reference_density``), not converged when its
    error exceeds ``max_relative_error`` of its value."""
    value, error = estimate.value, estimate.error
    if not math.isfinite(value):
        return estimate.failing(NOT_CONVERGED, "no value")
    for prefix, (low, high) in BOUNDS.items():
        named = quantity.endswith(prefix) if prefix.startswith("_") else quantity.startswith(prefix)
        if named and not low < value < high:
            return estimate.failing(
                UNPHYSICAL, f"{quantity} = {value:.4g} outside ({low:g}, {high:g})"
            )
    is_density = quantity.startswith(("density", "rho0"))
    if is_density and reference_density and abs(value / reference_density - 1) > 0.5:
        return estimate.failing(
            UNPHYSICAL,
            f"density {value:.3g} g/cm3 is {100 * (value / reference_density - 1):+.0f} % "
            f"from the structure's {reference_density:.3g}",
        )
    for prefix, limit in MAX_ABSOLUTE_ERROR.items():
        if quantity.startswith(prefix):
            if math.isfinite(error) and error > limit:
                return estimate.failing(NOT_CONVERGED, f"error {error:.3g} above {limit:g}")
            return estimate
    if math.isfinite(error) and value != 0 and error > max_relative_error * abs(value):
        return estimate.failing(
            NOT_CONVERGED,
            f"error {error:.3g} is {error / abs(value):.2g} times the value "
            f"(limit {max_relative_error:g})",
        )
    return estimate
