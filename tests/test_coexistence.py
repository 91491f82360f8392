"""Direct coexistence recovers a known melting point: Lennard-Jones argon, crystal slab
against liquid slab in real LAMMPS, the local phase classifier following which phase
grows, the melting temperature bracketed within its error bar of the literature value.

Reference: the triple point of the full Lennard-Jones fluid, T* = 0.694 ε/k_B (Mastny
and de Pablo, J. Chem. Phys. 2007, 127, 104504); along the melting line T* barely moves
between the triple point and P* = 0 (P*_tp ≈ 0.001). The potential here is the full LJ
as far as that value is concerned: cut at 4σ with LAMMPS's long-range tail correction.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.units import kB

from mofglass import coexistence, phases
from mofglass.md import Protocol, Stage, run_md
from mofglass.models import Model

EPSILON_EV, SIGMA_A = 0.0104, 3.4
LJ = Model(
    name="lj",
    type="lj",
    species=("Ar",),
    pair_styles=("lj/cut",),
    pair_commands=(
        f"pair_style lj/cut {4 * SIGMA_A}",
        f"pair_coeff * * {EPSILON_EV} {SIGMA_A}",
        "pair_modify tail yes",
    ),
)
T_MELT_REDUCED = 0.694
CLASSIFIER = {
    "symmetry_functions": {
        "r_cut_A": 7.0,
        "radial": [[0.5, 3.8], [0.5, 5.4], [0.5, 6.6], [0.05, 4.5]],
        "angular": [[0.005, 1, 1], [0.005, 1, -1], [0.005, 4, 1], [0.005, 4, -1]],
    },
    "network": {"hidden": [6], "alpha": 1e-4, "max_iter": 800, "seed": 0, "test_fraction": 0.2},
}


def kelvin(reduced: float) -> float:
    return reduced * EPSILON_EV / kB


def nvt_or_npt(name, ensemble, temperature_K, ps, dump_ps=1.0, relax=False, **extra) -> Protocol:
    """One NVT or NPT stage of 5 fs steps (after a minimisation when ``relax``)."""
    stage = Stage(
        name,
        ensemble,
        temperature_K=temperature_K,
        duration_ps=ps,
        timestep_fs=5.0,
        thermo_every=20,
        dump_every=int(round(dump_ps * 1000 / 5.0)),
        **extra,
    )
    first = (Stage("relax", "minimize", max_iterations=200),) if relax else ()
    return Protocol(
        (*first, stage), thermostat_damping_fs=500.0, barostat_damping_fs=5000.0, seed=11
    )


@pytest.fixture(scope="module")
def slabs(tmp_path_factory):
    """Crystal and liquid argon near the melting point, 4x4x5 fcc cells each."""
    tmp = tmp_path_factory.mktemp("coexistence")
    t_melt = kelvin(T_MELT_REDUCED)
    crystal = bulk("Ar", "fcc", a=5.46, cubic=True) * (4, 4, 5)  # a near the melting solid's
    solid = run_md(crystal, LJ, nvt_or_npt("solid", "npt", t_melt, 6.0, cell="aniso"), tmp / "s")
    assert solid.verdict == "ok", solid.reason
    expanded = crystal.copy()
    expanded.set_cell(crystal.cell * [1.0, 1.0, 1.14], scale_atoms=True)  # the liquid's density
    melt = run_md(expanded, LJ, nvt_or_npt("melt", "nvt", 2.5 * t_melt, 6.0), tmp / "m")
    liquid = run_md(melt.frames[-1], LJ, nvt_or_npt("liquid", "nvt", t_melt, 6.0), tmp / "l")
    assert liquid.verdict == "ok", liquid.reason
    return {"solid": solid.frames[2:], "liquid": liquid.frames[2:], "tmp": tmp}


def test_slab_cell_stacks_the_two_phases_on_one_interface():
    crystal = bulk("Ar", "fcc", a=5.46, cubic=True) * (2, 2, 3)
    liquid = crystal.copy()
    liquid.set_cell(crystal.cell * [1.02, 0.98, 1.1], scale_atoms=True)
    cell = coexistence.slab_cell(crystal, liquid)
    assert len(cell) == 2 * len(crystal)
    np.testing.assert_allclose(cell.cell.lengths()[:2], crystal.cell.lengths()[:2])
    assert cell.cell.lengths()[2] == pytest.approx(3 * 5.46 * (1 + 1.1) + 2 * 1.0)
    d = cell.get_all_distances(mic=True)[np.triu_indices(len(cell), 1)]
    assert d.min() > 0.9 * 5.46 / np.sqrt(2) * 0.98  # no atom on another across a seam
    assert (cell.arrays["slab"] == 0).sum() == len(crystal)
    with pytest.raises(ValueError, match="lateral cells differ"):
        coexistence.slab_cell(crystal, crystal * (2, 1, 1))


def test_bracket_reads_the_ladder():
    g = coexistence.Growth
    found = coexistence.bracket(
        [
            g(80, 0.01, 0.001, "grows"),
            g(84, 0.0, 0.002, "undecided"),
            g(90, -0.02, 0.002, "shrinks"),
        ]
    )
    assert (found["value_K"], found["error_K"], found["status"]) == (85.0, 5.0, "ok")
    assert coexistence.bracket([g(80, 0.01, 0.001, "grows")])["status"] == "not bracketed"
    upside_down = [g(80, -0.01, 0.001, "shrinks"), g(90, 0.01, 0.001, "grows")]
    assert coexistence.bracket(upside_down)["status"] == "inconsistent"
    steady = coexistence.growth(80.0, [0, 1, 2, 3], [0.5, 0.5, 0.5, 0.5])
    assert steady.outcome == "undecided"
    rising = coexistence.growth(80.0, [0, 1, 2, 3, 4], [0.50, 0.52, 0.53, 0.56, 0.57])
    assert rising.outcome == "grows" and rising.rate_per_ps == pytest.approx(0.018)


def test_coexistence_recovers_the_lj_melting_point(slabs):
    frames = {"crystal": slabs["solid"], "liquid": slabs["liquid"]}
    features, labels = [], []
    for phase, phase_frames in frames.items():
        x = phases.symmetry_functions(phase_frames, CLASSIFIER["symmetry_functions"], "Ar")
        features.append(x)
        labels += [phase] * len(x)
    fit = phases.train(np.vstack(features), labels, CLASSIFIER["network"])
    assert fit["accuracy"] > 0.9  # crystal and liquid tell apart atom by atom
    cell = coexistence.slab_cell(slabs["solid"][-1], slabs["liquid"][-1], gap_A=1.5)
    growths = []
    for reduced in (0.62, 0.66, 0.73, 0.77):
        t = kelvin(reduced)
        protocol = nvt_or_npt(f"T{reduced}", "npt", t, 40.0, 2.0, relax=True, cell="aniso")
        result = run_md(cell, LJ, protocol, slabs["tmp"] / f"coexist{reduced}")
        assert result.verdict == "ok", result.reason
        kept = result.frames[1:]
        share = phases.fractions(fit["model"], kept, CLASSIFIER["symmetry_functions"], "Ar")
        times = [f.info["time_ps"] for f in kept]
        growths.append(coexistence.growth(t, times, share["fraction_crystal"]))
    outcomes = [g.outcome for g in growths]
    assert outcomes[0] == "grows" and outcomes[-1] == "shrinks", outcomes
    found = coexistence.bracket(growths)
    assert found["status"] == "ok", found
    reference = kelvin(T_MELT_REDUCED)
    assert abs(found["value_K"] - reference) <= found["error_K"], (found, reference)
    assert found["error_K"] <= kelvin(0.06)  # a bracket that says something
