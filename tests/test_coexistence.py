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


@pytest.mark.parametrize("axis", [0, 2])
def test_slab_cell_keeps_every_linker_whole(axis):
    """A framework's two-slab cell is cut between metals and linkers: every atom keeps
    the model type it has in the crystal (a linker split across an interface would
    give C(C), N() and H[] types, which an atom-typed SNAP refuses), and no atom of one
    slab sits within the gap (1.5 Å) of one of the other, even where the disordered slab's
    linkers cross its cell's faces (the slab wrapped by atoms, as an MD engine leaves
    it)."""
    from collections import Counter

    from ase.neighborlist import neighbor_list

    from mofglass.chemistry import model_types
    from mofglass.structures import load_structure

    crystal = load_structure("builtin:ZIF-4")
    disordered = crystal.copy()
    disordered.rattle(0.03, seed=1)
    disordered.positions += 0.37 * crystal.cell[axis]  # linkers across its faces
    disordered.wrap()
    cell = coexistence.slab_cell(crystal, disordered, axis=axis, gap_A=1.5)
    assert Counter(model_types(cell)) == Counter(model_types(crystal) * 2)
    i, j, d = neighbor_list("ijd", cell, 1.5)
    slab = cell.arrays["slab"]
    assert not np.any(slab[i] != slab[j]), d[slab[i] != slab[j]].min()


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
    assert rising.start == pytest.approx((0.50 + 0.52 + 0.53) / 3)
    # a crystal slab of half the cell read as 0.1 crystalline at the start: unseen,
    # whatever its slope, and a ladder of such runs brackets nothing
    blind = coexistence.growth(80.0, [0, 1, 2, 3], [0.1, 0.08, 0.05, 0.02], crystal_share=0.5)
    assert blind.outcome == "unseen" and "0.08 of the cell" in blind.reason
    seen = coexistence.growth(80.0, [0, 1, 2, 3], [0.3, 0.28, 0.25, 0.22], crystal_share=0.5)
    assert seen.outcome == "shrinks"
    found = coexistence.bracket([blind, g(90, -0.02, 0.002, "unseen", "x")])
    assert found["status"] == "not bracketed" and "no run saw" in found["reason"]


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


def test_coexistence_jobs_build_run_and_bracket(slabs, tmp_path):
    """The stage's three jobs on argon, with real LAMMPS: the two-slab cell made by
    melting a copy of the crystal, one short NPT run classified frame by frame, and the
    bracket of a ladder (one real run, one that failed for want of a cell)."""
    import joblib
    import pandas as pd

    from mofglass.atomicio import read_frames, write_frames
    from mofglass.jobs.coexistence import bracket_job, build_job, run_job
    from mofglass.models import write_model

    write_model(tmp_path / "model", LJ)
    model_file = str(tmp_path / "model" / "model.json")
    crystal = bulk("Ar", "fcc", a=5.46, cubic=True) * (3, 3, 3)
    write_frames(tmp_path / "crystal.extxyz", [crystal])
    t_melt = kelvin(T_MELT_REDUCED)
    block = {
        "supercell": [1, 1, 1], "axis": 2, "gap_A": 1.5, "disordered": "liquid",
        "melt_temperature_K": 2.5 * t_melt, "melt_ps": 3.0, "timestep_fs": 5.0,
        "thermo_every": 20, "dump_every": 200, "max_temperature_factor": 3.0, "seed": 5,
        "pressure_GPa": 0.0, "duration_ps": 6.0, "segment_ps": 2.0,
        "minimize_iterations": 100, "crystal_class": "crystal",
        "symmetry_functions": CLASSIFIER["symmetry_functions"], "species": "Ar",
    }  # fmt: skip
    watch = {"close_contact_A": 2.0, "linker_bond_max_A": 2.0, "coordination": None}
    damping = {"thermostat_damping_fs": 500.0, "barostat_damping_fs": 5000.0}
    out = {k: str(tmp_path / f"{k}.out") for k in ("cell", "verdict")}
    row = build_job(model_file, str(tmp_path / "crystal.extxyz"), None, block,
                    {**damping, "watch": watch}, str(tmp_path / "slab"), out)  # fmt: skip
    assert row["verdict"] == "ok", row
    (cell,) = read_frames(out["cell"])
    assert len(cell) == 2 * len(crystal)
    assert cell.cell.lengths()[2] > 2 * crystal.cell.lengths()[2]
    frames = {"crystal": slabs["solid"], "liquid": slabs["liquid"]}
    x = [
        phases.symmetry_functions(f, CLASSIFIER["symmetry_functions"], "Ar")
        for f in frames.values()
    ]
    labels = [c for c, xc in zip(frames, x, strict=True) for _ in range(len(xc))]
    fit = phases.train(np.vstack(x), labels, CLASSIFIER["network"])
    joblib.dump(fit["model"], tmp_path / "classifier.joblib")
    runs = {}
    for t, cell_file in ((t_melt, out["cell"]), (1.1 * t_melt, str(tmp_path / "none.extxyz"))):
        write_frames(tmp_path / "none.extxyz", [])
        outputs = {k: str(tmp_path / f"T{t:.0f}" / f"{k}.csv") for k in ("fractions", "growth")}
        workdir = str(tmp_path / f"T{t:.0f}" / "lammps")
        classifier = str(tmp_path / "classifier.joblib")
        found = run_job(
            model_file, cell_file, classifier, None, block, t, damping, workdir, outputs
        )
        runs[t] = (outputs, found)
    ran, missing = (runs[t][1] for t in sorted(runs))
    assert ran.outcome in ("grows", "shrinks", "undecided")
    table = pd.read_csv(runs[t_melt][0]["fractions"])
    assert len(table) >= 3 and table["crystalline"].between(0, 1).all()
    # half the atoms start in the crystal slab, three cells thick: less its interface layers
    assert 0.2 < table["crystalline"].iloc[0] < 0.7
    assert missing.outcome == "failed" and "no two-slab cell" in missing.reason
    final = {k: str(tmp_path / f"bracket.{k}") for k in ("table", "growths", "figure")}
    found = bracket_job(
        "argon",
        [runs[t][0]["growth"] for t in sorted(runs)],
        [runs[t][0]["fractions"] for t in sorted(runs)],
        final,
    )
    assert found["status"] == "not bracketed"  # one decided run cannot bracket
    assert pd.read_csv(final["table"])["system"].iloc[0] == "argon"
    assert (tmp_path / "bracket.figure").stat().st_size > 0
