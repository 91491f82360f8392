"""Stage 2, repair: the pair term (energy, forces as its gradient, stress as its strain
derivative), its fit to DFT points (recovers a known correction, refuses one that makes
the level worse), a repaired level through the calculator runner, the shipped points,
and the stage on a real CP2K (GFN1-xTB) fragment in Snakemake."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from ase.calculators.lj import LennardJones
from ase.calculators.singlepoint import SinglePointCalculator

from mofglass import calculators, chemistry, levels, repair
from mofglass.atomicio import read_frames
from mofglass.calculators import pairterm
from mofglass.report import repair as report_repair
from mofglass.structures import load_structure

from .conftest import REPO, write_config
from .test_workflow import snakemake

TERM = repair.Term(pairs=(("Zn", "N"),), gaussians=7, r_min_A=1.7, cutoff_A=3.4, switch_A=0.5)


def independent_energy(atoms, centres, width, cutoff, switch, coefficients) -> float:
    """The term's energy written out pair by pair (the test's own code): every Zn-N
    pair by the minimum image (the cells here are wider than twice the cutoff)."""
    symbols = atoms.get_chemical_symbols()
    total = 0.0
    for i, a in enumerate(symbols):
        for j, b in enumerate(symbols):
            if a != "Zn" or b != "N":
                continue
            r = atoms.get_distance(i, j, mic=True)
            if r >= cutoff:
                continue
            x = min(max((r - (cutoff - switch)) / switch, 0.0), 1.0)
            s = 1 - 10 * x**3 + 15 * x**4 - 6 * x**5
            total += s * sum(
                c * np.exp(-((r - m) ** 2) / (2 * width**2))
                for c, m in zip(coefficients, centres, strict=True)
            )
    return total


def fd_forces(energy, atoms, h=1e-4) -> np.ndarray:
    forces = np.zeros((len(atoms), 3))
    for i in range(len(atoms)):
        for k in range(3):
            moved = atoms.copy()
            moved.positions[i, k] += h
            up = energy(moved)
            moved.positions[i, k] -= 2 * h
            forces[i, k] = -(up - energy(moved)) / (2 * h)
    return forces


@pytest.fixture
def fragment_points(tiny):
    chem = chemistry.derive(tiny)
    points = repair.Points(cut="fragment", bonds=None, rattles=6, sigma_A=0.05)
    return repair.geometries(tiny, 0, chem, points, "frag")


def test_pair_term_energy_and_forces(tiny):
    """Energy as the test writes it out; forces as its negative gradient (finite
    differences of that independent energy)."""
    atoms = tiny.copy()
    atoms.positions[0] += [0.3, -0.2, 0.1]  # a Zn-N pair inside the switch too
    rng = np.random.default_rng(0)
    c = rng.normal(0, 0.5, TERM.gaussians)
    spec = TERM.spec(c)
    args = (spec["centres_A"], spec["width_A"], spec["cutoff_A"], spec["switch_A"], c)
    energy, forces, _ = pairterm.evaluate(atoms, spec)
    assert energy == pytest.approx(independent_energy(atoms, *args), abs=1e-10)
    expected = fd_forces(lambda a: independent_energy(a, *args), atoms)
    assert np.abs(expected).max() > 0.1
    np.testing.assert_allclose(forces, expected, atol=1e-6)


def test_pair_term_stress_matches_a_strained_cell():
    """ASE's stress is (1/V) dE/dε: central differences of the energy under small
    symmetric strains of the periodic ZIF-4 crystal, pairs across the cell's faces."""
    crystal = load_structure("builtin:ZIF-4")
    crystal.positions += np.random.default_rng(1).normal(0, 0.05, crystal.positions.shape)
    spec = TERM.spec(np.random.default_rng(2).normal(0, 0.3, TERM.gaussians))
    _, _, stress = pairterm.evaluate(crystal, spec)
    voigt = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
    h = 1e-5
    for k, (a, b) in enumerate(voigt):
        energies = []
        for sign in (1, -1):
            strain = np.eye(3)
            strain[a, b] += sign * h / (1 if a == b else 2)
            strain[b, a] += 0 if a == b else sign * h / 2
            strained = crystal.copy()
            strained.set_cell(crystal.cell.array @ strain, scale_atoms=True)
            energies.append(pairterm.evaluate(strained, spec)[0])
        expected = (energies[0] - energies[1]) / (2 * h) / crystal.get_volume()
        assert stress[k] == pytest.approx(expected, abs=1e-9, rel=1e-5)
    assert np.abs(stress).max() > 1e-4


def with_results(atoms, energy, forces):
    out = atoms.copy()
    out.calc = SinglePointCalculator(out, energy=energy, forces=forces)
    out.info = dict(atoms.info)
    return out


def lj_labels(frames):
    """A stand-in base level: Lennard-Jones on every pair."""
    out = []
    for atoms in frames:
        calc = LennardJones(sigma=2.0, epsilon=0.01, rc=6.0)
        out.append(with_results(atoms, calc.get_potential_energy(atoms), calc.get_forces(atoms)))
    return out


def test_fit_recovers_a_known_correction(fragment_points):
    """DFT made as base + a known term (the test's own energy, finite-difference
    forces) + an offset: the fit finds the term's coefficients."""
    base = lj_labels(fragment_points)
    truth = np.array([0.0, 0.8, -1.5, 0.6, -0.3, 0.1, 0.0])
    spec = TERM.spec(truth)
    args = (spec["centres_A"], spec["width_A"], spec["cutoff_A"], spec["switch_A"], truth)
    dft = []
    for b in base:
        e = independent_energy(b, *args)
        f = fd_forces(lambda a: independent_energy(a, *args), b)
        dft.append(with_results(b, b.get_potential_energy() + e - 3.0, b.get_forces() + f))
    c = repair.fit(dft, base, TERM, ridge=1e-12)
    np.testing.assert_allclose(c, truth, atol=1e-4)
    fitted = repair.learn(dft, base, TERM, ridges=(1e-10,))
    assert fitted.errors["repaired_test"]["force_rmse_eV_per_A"] < 1e-5
    assert fitted.errors["base_test"]["force_rmse_eV_per_A"] > 0.1
    assert fitted.errors["repaired_test"]["energy_rmse_eV_per_atom"] < 1e-6


def test_a_repair_that_makes_its_level_worse_is_refused(fragment_points):
    """The training points say one thing, the held-out points (the base is exact on
    them) another: the fit would make the level worse there and is refused, with the
    numbers."""
    base = lj_labels(fragment_points)
    train, test = repair.held_out(list(range(len(base))), 4)
    spec = TERM.spec(np.array([0.0, 2.0, -3.0, 1.0, 0.0, 0.0, 0.0]))
    dft = []
    for k, b in enumerate(base):
        if k in test:
            dft.append(b)
            continue
        e, f, _ = pairterm.evaluate(b, spec)
        dft.append(with_results(b, b.get_potential_energy() + e, b.get_forces() + f))
    with pytest.raises(repair.RepairError, match=r"worse on its \d+ held-out points: force_rmse"):
        repair.learn(dft, base, TERM)


def test_geometries_pull_and_push_the_metal_along_each_bond(tiny):
    chem = chemistry.derive(tiny)
    points = repair.Points(stretches_A=(-0.2, 0.5), bonds=None, rattles=3, sigma_A=0.1, seed=4)
    frames = repair.geometries(tiny, 0, chem, points, "f")
    assert len(frames) == 1 + 2 * 2 + 3  # 2 Zn-N bonds in Zn(Im)2
    donors = [
        i for i in range(1, len(tiny)) if tiny.get_distance(0, i) < 2.5 and tiny[i].symbol == "N"
    ]
    for atoms in frames[1:5]:
        d = atoms.get_distance(0, atoms.info["bond"])
        assert d == pytest.approx(
            tiny.get_distance(0, atoms.info["bond"]) + atoms.info["stretch_A"]
        )
        assert atoms.info["bond"] in donors
        np.testing.assert_allclose(atoms.positions[1:], tiny.positions[1:])
    again = repair.geometries(tiny, 0, chem, points, "f")
    np.testing.assert_array_equal(frames[-1].positions, again[-1].positions)
    assert [a.info["frame_id"] for a in frames] == [f"f:{k}" for k in range(len(frames))]


def test_a_fragment_cut_from_zif4_is_neutral_zn_im2_with_whole_linkers():
    crystal = load_structure("builtin:ZIF-4")
    chem = chemistry.derive(crystal)
    fragment, metal = repair.cut_fragment(crystal, chem, linkers=2, vacuum_A=4.0)
    assert fragment.get_chemical_formula() == "C6H6N4Zn"
    found = chemistry.derive(fragment)
    assert found.linkers == {"C3H3N2": 2}
    lengths = fragment.cell.lengths()
    span = fragment.positions.max(axis=0) - fragment.positions.min(axis=0)
    assert np.all(lengths >= span + 8.0 - 1e-9)
    with pytest.raises(repair.RepairError, match="binds 4 linkers"):
        repair.cut_fragment(crystal, chem, linkers=5)


def test_a_repaired_level_through_the_runner_is_base_plus_term(tmp_path, tiny):
    """A repaired level built the way a job builds it (levels.resolve, the term file)
    labels through its own Python as its base plus the term; its forces are the
    gradient of its energy (finite differences through the runner)."""
    spec = TERM.spec(np.array([0.0, 0.5, -0.8, 0.4, 0.0, 0.0, 0.0]))
    term_file = tmp_path / "term.json"
    term_file.write_text(json.dumps({"spec": spec}))
    config_levels = {
        "lj": {
            "calculator": "ase.calculators.lj:LennardJones",
            "kwargs": {"sigma": 2.0, "epsilon": 0.01, "rc": 6.0},
        },
        "fixed": {"base": "lj", "repair": {"level_of_theory": "x", "structure": "y"}},
    }
    block = levels.resolve("fixed", config_levels)
    assert block["repair_file"] == levels.term_file("fixed")
    block["repair_file"] = str(term_file)
    level = levels.build("fixed", block)
    base = levels.build("lj", config_levels["lj"])
    assert level.fingerprint() != base.fingerprint()
    atoms = tiny.copy()
    atoms.positions[0] += [0.2, 0.1, -0.1]
    h = 1e-3
    frames = [atoms]
    for k in range(3):
        for sign in (1, -1):
            moved = atoms.copy()
            moved.positions[0, k] += sign * h
            frames.append(moved)
    dirs = [tmp_path / "r" / str(k) for k in range(len(frames))]
    got = calculators.compute_labels(level, frames, dirs, stress=True)
    plain = calculators.compute_labels(
        base, frames, [tmp_path / "b" / str(k) for k in range(len(frames))], stress=True
    )
    e, f, s = pairterm.evaluate(atoms, spec)
    assert got[0].get_potential_energy() == pytest.approx(
        plain[0].get_potential_energy() + e, abs=1e-9
    )
    np.testing.assert_allclose(got[0].get_forces(), plain[0].get_forces() + f, atol=1e-9)
    np.testing.assert_allclose(got[0].get_stress(), plain[0].get_stress() + s, atol=1e-12)
    for k in range(3):
        up, down = got[1 + 2 * k], got[2 + 2 * k]
        fd = -(up.get_potential_energy() - down.get_potential_energy()) / (2 * h)
        assert got[0].get_forces()[0, k] == pytest.approx(fd, abs=1e-5)


def test_shipped_points_are_the_geometries_the_default_makes():
    """The default's shipped PBE-D3 points are the geometries its repair block makes
    from the built-in ZIF-4 (to 1e-6 Å), at the default's pbe-d3 level, every one
    with energy and forces; a changed setting is refused by name."""
    import yaml

    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    block = config["levels_of_theory"][config["aimd"]["level_of_theory"]]
    name = block["repair"]["shipped"]
    crystal = load_structure("builtin:ZIF-4")
    chem = chemistry.derive(crystal)
    spec = repair.Points.from_config(block["repair"].get("points"))
    cell, metal = repair.cut(crystal, chem, spec)
    points = repair.geometries(cell, metal, chem, spec, "ZIF-4-cell")
    dft_name = block["repair"]["level_of_theory"]
    frames = repair.shipped(name, points, dft_name, config["levels_of_theory"][dft_name])
    assert len(frames) == len(points)
    assert all(np.isfinite(a.get_forces()).all() for a in frames)
    moved = repair.geometries(cell, metal, chem, replace(spec, seed=spec.seed + 1), "ZIF-4-cell")
    with pytest.raises(repair.RepairError, match="not a geometry these settings make"):
        repair.shipped(name, moved, dft_name, config["levels_of_theory"][dft_name])
    with pytest.raises(repair.RepairError, match="computed at"):
        repair.shipped(
            name,
            points,
            "pbe",
            {"method": "pbe-d3", "overrides": {"force_eval": {"dft": {"mgrid": {"cutoff": 400}}}}},
        )


@pytest.mark.cp2k
@pytest.mark.workflow
def test_the_repair_stage_on_a_real_cp2k_fragment(project):
    """The tiny fragment's points computed by the real CP2K (GFN1-xTB standing in for
    DFT), SevenNet-0 + D3 on them, the fit and its tables; the repaired level then
    labels the tiny config's datasets with the fitted term."""
    levels_block = {
        "xtb": {"method": "gfn1-xtb"},
        "sevennet": {
            "calculator": "sevennet-0",
            "dispersion": {"method": "PBE", "damping": "d3zero"},
        },
        "fixed": {
            "base": "sevennet",
            "repair": {
                "level_of_theory": "xtb",
                "structure": "ZnIm2",
                "points": {"stretches_A": [-0.2, 0.2, 0.4, 0.6, 0.8, 1.0], "rattles": 0},
                "pull_A": [0.0, 0.3, 0.6],
                "fit": {"test_every": 3},
            },
        },
    }
    config = write_config(
        project,
        "repair.yaml",
        "tiny.yaml",
        levels_of_theory=levels_block,
        datasets__fh__level_of_theory="fixed",
    )
    done = snakemake(project, "labels", "repair", "--cores", "2", "--configfile", config)
    assert done.returncode == 0, done.stderr[-3000:]
    out = project / "results/repair/fixed"
    dft = read_frames(out / "dft.extxyz")
    assert len(dft) == 1 + 6  # the box holds the fragment: the cell is cut, one bond pulled
    assert all(a.info["level_of_theory"] == "xtb" for a in dft)
    record = json.loads((out / "term.json").read_text())
    assert record["dft_level"] == "xtb" and record["base_level"] == "sevennet"
    e = record["errors"]
    assert e["repaired_test"]["force_rmse_eV_per_A"] <= e["base_test"]["force_rmse_eV_per_A"]
    assert len(record["spec"]["coefficients_eV"]) == repair.Term(pairs=()).gaussians
    pull = pd.read_csv(out / "pull.csv")
    assert list(pull["stretch_A"]) == [0.0, 0.3, 0.6]
    assert pull.loc[0, "base_energy_eV"] == 0.0
    points = pd.read_csv(out / "points.csv")
    assert set(points["split"]) == {"train", "test"}
    labelled = read_frames(project / "results/datasets/fh/train.extxyz")
    assert labelled and all(a.info["level_of_theory"] == "fixed" for a in labelled)
    again = snakemake(project, "labels", "repair", "--cores", "2", "--configfile", config, "-n")
    assert "Nothing to be done" in again.stdout + again.stderr
    section = report_repair.section(
        {
            "repair_terms": [str(out / "term.json")],
            "repair_dft_pulls": [str(out / "dft_pull.csv")],
            "repair_pulls": [str(out / "pull.csv")],
            "repair_figures": [str(out / "repair.png")],
        },
        {},
    )
    (fit,) = [t for name, t in section.tables if name == "fit"]
    assert fit.loc[0, "base"] == "sevennet" and fit.loc[0, "points"] == len(dft)
    (first,) = section.published
    assert list(first["source"]) == ["fixed (base)", "fixed (repaired)"]
    assert set(first["unit"]) == {"%"} and (first["published"] == 100).all()


def test_cell_points_pull_one_metal_across_the_periodic_boundary():
    """``cut: cell``: the structure itself, its first Zn moved along its first bond
    (by the minimum image, whatever the cell), everything else where it was."""
    crystal = load_structure("builtin:ZIF-4")
    chem = chemistry.derive(crystal)
    points = repair.Points(cut="cell", bonds=1, stretches_A=(0.3, 1.0), rattles=1)
    cell, metal = repair.cut(crystal, chem, points)
    assert len(cell) == len(crystal) and cell.get_chemical_symbols()[metal] == "Zn"
    frames = repair.geometries(cell, metal, chem, points, "c")
    assert len(frames) == 1 + 2 + 1
    donor = frames[1].info["bond"]
    r0 = crystal.get_distance(metal, donor, mic=True)
    for atoms in frames[1:3]:
        assert atoms.info["bond"] == donor
        r = atoms.get_distance(metal, donor, mic=True)
        assert r == pytest.approx(r0 + atoms.info["stretch_A"], abs=1e-9)
        others = np.delete(np.arange(len(atoms)), metal)
        np.testing.assert_allclose(atoms.positions[others], crystal.positions[others])
