"""Mechanics: equation-of-state fit, strain-fluctuation elastic constants, Voigt-Reuss-
Hill averages, expansion coefficients and the VDOS, on systems with known answers; and
a Lennard-Jones argon crystal in LAMMPS whose P-V bulk modulus at 5 K approaches the
0 K finite-difference one."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.units import GPa, kB
from scipy.optimize import brentq

from mofglass import mechanics
from mofglass.lammps import evaluate
from mofglass.md import Protocol, Stage, run_md
from mofglass.models import Model

# argon: LJ epsilon 0.0104 eV, sigma 3.40 Å, cut at 8.5 Å
LJ = ("pair_style lj/cut 8.5", "pair_coeff * * 0.0104 3.40")
ARGON = Model("argon", "lj", ("Ar",), ("lj/cut",), LJ)


def test_birch_murnaghan_fit_recovers_k0_and_v0_from_noisy_data():
    rng = np.random.default_rng(3)
    volumes = np.linspace(0.94, 1.06, 9) * 1200.0
    for order, k0p in ((2, 4.0), (3, 6.5)):
        exact = mechanics.birch_murnaghan_pressure(volumes, 1200.0, 1.69, k0p)
        noise = 0.002
        fit = mechanics.fit_birch_murnaghan(
            volumes, exact + rng.normal(0, noise, len(volumes)), [noise] * len(volumes), order
        )
        assert abs(fit["k0_GPa"] - 1.69) < 3 * fit["k0_err_GPa"] + 1e-9
        assert abs(fit["v0_A3"] - 1200.0) < 3 * fit["v0_err_A3"]
        assert fit["k0_err_GPa"] < 0.1 and 0.1 < fit["reduced_chi2"] < 4
        if order == 3:
            assert abs(fit["k0_prime"] - 6.5) < 3 * fit["k0_prime_err"]
    # K0 is -V dP/dV at V0
    dp = mechanics.birch_murnaghan_pressure([1199.0, 1201.0], 1200.0, 1.69)
    assert -1200.0 * (dp[1] - dp[0]) / 2.0 == pytest.approx(1.69, rel=1e-4)


def test_strain_fluctuations_give_back_the_stiffness_they_were_drawn_from():
    # cubic crystal, GPa; strains drawn with covariance k_B T / V * S
    c11, c12, c44 = 12.0, 5.0, 3.0
    stiffness = np.zeros((6, 6))
    stiffness[:3, :3] = c12
    np.fill_diagonal(stiffness[:3, :3], c11)
    stiffness[3:, 3:] = np.eye(3) * c44
    volume, temperature = 5000.0, 300.0
    covariance = kB * temperature / volume * np.linalg.inv(stiffness * GPa)
    rng = np.random.default_rng(5)
    voigt = rng.multivariate_normal(np.zeros(6), covariance, 200_000)
    h0 = np.diag([17.0, 17.0, 17.3])
    cells = []
    for e in voigt:
        eps = np.array(
            [[e[0], e[5] / 2, e[4] / 2], [e[5] / 2, e[1], e[3] / 2], [e[4] / 2, e[3] / 2, e[2]]]
        )
        cells.append(h0 @ (np.eye(3) + eps))
    found = mechanics.fluctuation_stiffness(np.array(cells), temperature)
    np.testing.assert_allclose(found, stiffness, atol=0.15)
    table = mechanics.fluctuation_moduli(np.array(cells), temperature).set_index("quantity")
    k_hill, error = table.loc["K_hill", ["value", "error"]]
    assert abs(k_hill - mechanics.vrh(stiffness)["K_hill_GPa"]) < 4 * error and error < 0.1
    running = mechanics.running_moduli(np.array(cells), temperature, points=5)
    assert running["frames"].iloc[-1] == len(cells)
    assert running["K_hill_GPa"].iloc[-1] == pytest.approx(k_hill)
    # the volume fluctuation gives the Reuss bulk modulus
    k_reuss = mechanics.vrh(stiffness)["K_reuss_GPa"]
    volumes = np.abs(np.linalg.det(cells))
    assert mechanics.volume_fluctuation_bulk_modulus(volumes, temperature) == pytest.approx(
        k_reuss, rel=0.02
    )


def test_voigt_reuss_hill_of_an_isotropic_solid():
    lam, mu = 4.0, 3.0  # Lamé constants, GPa
    c = np.zeros((6, 6))
    c[:3, :3] = lam
    c[np.arange(3), np.arange(3)] = lam + 2 * mu
    c[np.arange(3, 6), np.arange(3, 6)] = mu
    moduli = mechanics.vrh(c)
    for average in ("voigt", "reuss", "hill"):
        assert moduli[f"K_{average}_GPa"] == pytest.approx(lam + 2 * mu / 3)
        assert moduli[f"G_{average}_GPa"] == pytest.approx(mu)
        assert moduli[f"E_{average}_GPa"] == pytest.approx(mu * (3 * lam + 2 * mu) / (lam + mu))
        assert moduli[f"nu_{average}"] == pytest.approx(lam / (2 * (lam + mu)))
    cubic = c.copy()
    cubic[3:, 3:] *= 2.0  # anisotropic: Voigt above Reuss
    moduli = mechanics.vrh(cubic)
    assert moduli["G_voigt_GPa"] > moduli["G_hill_GPa"] > moduli["G_reuss_GPa"]


def test_expansion_coefficient_of_a_known_curve():
    t = np.linspace(100, 500, 5)
    a = 10.0 * (1 + 2e-5 * (t - 300) + 1e-8 * (t - 300) ** 2)
    assert mechanics.expansion_coefficient(t, a, 300.0) == pytest.approx(2e-5, rel=1e-6)


def test_vdos_of_harmonic_oscillators_peaks_at_their_frequencies():
    dt, n = 1.0, 8192  # fs
    t = np.arange(n) * dt
    rng = np.random.default_rng(0)
    freq = {"H": 90.0, "C": 25.0}  # THz
    symbols = ["H"] * 4 + ["C"] * 4
    velocities = np.zeros((n, 8, 3))
    for k, s in enumerate(symbols):
        phase = rng.uniform(0, 2 * np.pi, 3)
        velocities[:, k, :] = np.cos(2 * np.pi * freq[s] * 1e-3 * t[:, None] + phase)
    masses = np.array([1.0] * 4 + [12.0] * 4)
    table = mechanics.vdos(velocities, masses, symbols, dt)
    f = table["frequency_THz"].to_numpy()
    for element, expected in freq.items():
        assert f[np.argmax(table[element])] == pytest.approx(expected, abs=0.2)
        assert np.trapezoid(table[element], f) == pytest.approx(1.0)
    # mass weighting: carbon dominates the total
    assert table["total"][np.argmin(np.abs(f - 25))] > table["total"][np.argmin(np.abs(f - 90))]


# --- a real crystal: LJ argon, 108 atoms, at 5 K --------------------------------------


def static_stress(a: float, strain: np.ndarray | None = None) -> np.ndarray:
    atoms = bulk("Ar", "fcc", a=a, cubic=True).repeat(3)
    if strain is not None:
        atoms.set_cell(atoms.cell @ (np.eye(3) + strain), scale_atoms=True)
    return evaluate(atoms, ARGON.species, ARGON.commands()).get_stress(voigt=True) / GPa


@pytest.fixture(scope="module")
def zero_kelvin():
    """0 K lattice constant (P = 0), bulk modulus and C11, C12, C44 by finite differences."""
    a0 = brentq(lambda a: -static_stress(a)[:3].mean(), 5.0, 5.6, xtol=1e-7)
    h = 1e-3
    pressure = [-static_stress(a0 * (1 + s))[:3].mean() for s in (-h, h)]
    k0 = -(pressure[1] - pressure[0]) / (3 * 2 * h)  # dV/V = 3 da/a
    c = {}
    for name, (i, j), index in (("C11", (0, 0), 0), ("C12", (0, 0), 1), ("C44", (1, 2), 3)):
        e = np.zeros((3, 3))
        e[i, j] = e[j, i] = h
        plus, minus = static_stress(a0, e), static_stress(a0, -e)
        engineering = 2 * h if i != j else h
        c[name] = (plus[index] - minus[index]) / (2 * engineering)
    return {"a0": a0, "K": k0, **c}


def argon_md(a: float, stage: Stage, tmp_path, name: str, steps_between: int = 20):
    atoms = bulk("Ar", "fcc", a=a, cubic=True).repeat(3)
    protocol = Protocol((stage,), thermostat_damping_fs=100.0, barostat_damping_fs=1000.0, seed=11)
    result = run_md(atoms, ARGON, protocol, tmp_path / name)
    assert result.verdict == "ok"
    return result.thermo.iloc[len(result.thermo) // 5 :]  # first fifth: equilibration


@pytest.mark.lammps
def test_argon_pv_bulk_modulus_at_5_K_approaches_0_K(zero_kelvin, tmp_path):
    # P-V: NVT at 1.5 % volume steps around the 0 K volume, Birch-Murnaghan 2nd order
    volumes, pressures, errors = [], [], []
    for scale in (0.97, 0.985, 1.0, 1.015, 1.03):
        stage = Stage(
            "nvt",
            "nvt",
            temperature_K=5.0,
            steps=20_000,
            timestep_fs=5.0,
            thermo_every=20,
            dump_every=20_000,
        )
        thermo = argon_md(zero_kelvin["a0"] * scale ** (1 / 3), stage, tmp_path, f"v{scale}")
        volumes.append(thermo["volume_A3"].mean())
        pressures.append(thermo["pressure_GPa"].mean())
        errors.append(max(mechanics_block_error(thermo["pressure_GPa"]), 1e-5))
    fit = mechanics.fit_birch_murnaghan(volumes, pressures, errors)
    assert fit["k0_GPa"] == pytest.approx(zero_kelvin["K"], rel=0.05)
    assert fit["v0_A3"] == pytest.approx(volumes[2], rel=0.01)
    # the 0 K cubic constants are consistent with the 0 K bulk modulus
    assert (zero_kelvin["C11"] + 2 * zero_kelvin["C12"]) / 3 == pytest.approx(
        zero_kelvin["K"], rel=1e-3
    )


def mechanics_block_error(values) -> float:
    from mofglass.analysis import block_error

    return block_error(np.asarray(values), 5)
