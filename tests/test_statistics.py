"""Error bars and statuses (mofglass.statistics) on series with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mofglass import statistics


def ar1(phi: float, n: int, seed: int = 0) -> np.ndarray:
    """x_t = phi x_(t-1) + N(0, 1): variance 1 / (1 - phi²), integrated correlation time
    (1 + phi) / (1 - phi) steps."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(n)
    x = np.empty(n)
    x[0] = noise[0] / math.sqrt(1 - phi**2)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + noise[t]
    return x


def test_a_correlated_series_gets_the_error_of_its_correlation_time():
    phi, n = 0.9, 40_000
    found = statistics.trajectory_mean(ar1(phi, n))
    tau = (1 + phi) / (1 - phi)  # 19 steps
    exact = math.sqrt(1 / (1 - phi**2) * tau / n)
    assert found.error == pytest.approx(exact, rel=0.2)
    assert found.n_effective == pytest.approx(n / tau, rel=0.3)
    assert found.status == "ok", found.reason
    # five fixed blocks would not know the correlation; the naive error is 4x too small
    naive = ar1(phi, n).std(ddof=1) / math.sqrt(n)
    assert found.error > 3 * naive


def test_a_run_shorter_than_its_correlation_is_not_converged():
    for seed in range(3):  # 200 steps of a 200-step correlation time
        found = statistics.trajectory_mean(ar1(0.99, 200, seed=seed))
        assert found.status == "not converged", found
        assert "plateau" in found.reason or "independent samples" in found.reason
    # an equilibration that has not finished: a decay as long as the run
    t = np.arange(2000)
    decaying = 5 * np.exp(-t / 600) + np.random.default_rng(1).standard_normal(2000)
    assert statistics.trajectory_mean(decaying).status == "not converged"
    few = statistics.trajectory_mean([1.0, 2.0, 3.0])
    assert few.status == "not converged" and "too few" in few.reason
    # ten frames of a crystal whose every Zn has four N: exact, not an estimate
    constant = statistics.trajectory_mean([4.0] * 10)
    assert (constant.value, constant.error, constant.status) == (4.0, 0.0, "ok")


def test_a_drifting_run_is_not_converged():
    rng = np.random.default_rng(4)
    drifting = np.linspace(0, 5, 4000) + rng.standard_normal(4000)
    found = statistics.trajectory_mean(drifting)
    assert found.status == "not converged"
    # the same noise without the drift is a result
    assert statistics.trajectory_mean(drifting - np.linspace(0, 5, 4000)).status == "ok"


def test_independent_samples_and_single_values():
    found = statistics.independent_mean([1.0, 2.0, 3.0, 4.0])
    assert found.error == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2)
    assert found.n_effective == 4 and found.status == "ok"
    assert statistics.independent_mean([2.0]).status == "not converged"
    assert statistics.independent_mean([2.0], exact=True).status == "ok"


@pytest.mark.parametrize(
    ("quantity", "value", "error", "status"),
    [
        ("nu_hill", 0.3, 0.01, "ok"),
        ("nu_hill", 0.62, 0.01, "unphysical"),
        ("nu_hill", -1.2, 0.01, "unphysical"),
        ("K_voigt", -3.0, 0.5, "unphysical"),
        ("G_voigt", 401.0, 20.0, "ok"),
        ("K_voigt", 7.4, 6927.0, "not converged"),
        ("zn_n_coordination", 3.9, 0.05, "ok"),
        ("fraction_cn3", 0.02, 0.01, "ok"),  # judged by its absolute error
        ("fraction_cn3", 0.3, 0.2, "not converged"),
    ],
)
def test_every_number_gets_its_status(quantity, value, error, status):
    judged = statistics.judge(statistics.Estimate(value, error, 100, 50.0), quantity)
    assert judged.status == status, judged.reason


def test_a_density_far_from_the_structures_is_unphysical():
    glass = statistics.Estimate(0.55, 0.01, 10, 10.0)
    judged = statistics.judge(glass, "density", reference_density=1.21)
    assert judged.status == "unphysical" and "-55 %" in judged.reason
    assert statistics.judge(glass, "density", reference_density=0.6).status == "ok"
