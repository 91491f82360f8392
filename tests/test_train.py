"""SNAP fitting with the real LAMMPS: a synthetic teacher, written files, evaluation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mofglass import snap
from mofglass.atomicio import read_frames, write_frames
from mofglass.jobs.train import evaluate_job, learning_curve_job, train_job
from mofglass.lammps import LAMMPSError, evaluate
from mofglass.models import load_model
from mofglass.train import ConsistencyError, Training

pytestmark = pytest.mark.lammps

SPECIES = ("C", "H", "N", "Zn")
RADII = {"C": 0.5, "H": 0.4, "N": 0.5, "Zn": 0.6}


def settings(**changes) -> snap.SNAPSettings:
    base = dict(
        species=SPECIES,
        twojmax=4,
        rcutfac=4.0,
        radii=RADII,
        weights={"C": 1.0, "H": 0.8, "N": 1.0, "Zn": 0.9},
    )
    base.update(changes)
    return snap.SNAPSettings(**base)


@pytest.fixture(scope="module")
def teacher(tmp_path_factory, tiny_module):
    """Frames labelled by a SNAP with known coefficients (and a ZBL core on H-H)."""
    s = settings(zbl=snap.ZBL((("H", "H"),), 1.8, 2.3))
    rows = snap.frame_rows(tiny_module, s)
    beta = np.random.default_rng(0).normal(0.0, 0.05, rows.energy.size)
    directory = tmp_path_factory.mktemp("teacher")
    (directory / snap.COEFF_FILE).write_text(s.coeff_text(beta))
    (directory / snap.PARAM_FILE).write_text(s.param_text())
    frames = []
    for k in range(10):
        atoms = tiny_module.copy()
        atoms.rattle(0.05, seed=k)
        atoms.cell[0, 1] = 0.7 * k  # triclinic cells exercise LAMMPS's rotated frame
        labelled = evaluate(atoms, SPECIES, s.pair_commands(str(directory)))
        labelled.info.update(level_of_theory="teacher", frame_id=f"t:{k}", run="t", step=k)
        frames.append(labelled)
    return s, beta, frames


@pytest.fixture(scope="module")
def tiny_module():
    import ase.io

    from .conftest import TINY_STRUCTURE

    return ase.io.read(TINY_STRUCTURE)


def test_linear_rows_reproduce_lammps_pair_snap(teacher):
    s, beta, frames = teacher
    for atoms in frames[:3]:
        predicted = snap.predict(snap.frame_rows(atoms, s), beta, atoms)
        n = len(atoms)
        assert predicted.get_potential_energy() / n == pytest.approx(
            atoms.get_potential_energy() / n, abs=1e-10
        )
        np.testing.assert_allclose(predicted.get_forces(), atoms.get_forces(), atol=1e-9)
        np.testing.assert_allclose(predicted.get_stress(), atoms.get_stress(), atol=1e-9)


def test_quadratic_rows_reproduce_lammps_pair_snap(tiny_module, tmp_path):
    """A quadratic SNAP (products of bispectrum components): the rows the fit uses and
    LAMMPS's pair style, fed the same coefficients, give the same energy and forces."""
    s = settings(twojmax=2, quadratic=True)
    rows = snap.frame_rows(tiny_module, s)
    n_b = 5  # bispectrum components at 2J = 2
    assert rows.energy.size == len(SPECIES) * (1 + n_b + n_b * (n_b + 1) // 2)
    beta = np.random.default_rng(1).normal(0.0, 0.002, rows.energy.size)  # gentle: MD below
    (tmp_path / snap.COEFF_FILE).write_text(s.coeff_text(beta))
    (tmp_path / snap.PARAM_FILE).write_text(s.param_text())
    atoms = tiny_module.copy()
    atoms.rattle(0.05, seed=3)
    labelled = evaluate(atoms, SPECIES, s.pair_commands(str(tmp_path)))
    predicted = snap.predict(snap.frame_rows(atoms, s), beta, atoms)
    assert predicted.get_potential_energy() == pytest.approx(
        labelled.get_potential_energy(), abs=1e-8
    )
    np.testing.assert_allclose(predicted.get_forces(), labelled.get_forces(), atol=1e-8)
    np.testing.assert_allclose(predicted.get_stress(), labelled.get_stress(), atol=1e-9)


@pytest.mark.parametrize("cell_tilt", [0.0, 2.5])
def test_pair_spline_rows_reproduce_the_lammps_table(tiny_module, tmp_path, cell_tilt):
    """Pair splines on a mixed (N-Zn) and a like pair (C-C): the fit's rows and the
    deployed LAMMPS table give the same energy, forces and stress, in an orthorhombic
    and a triclinic cell; the energy is smooth (forces match its finite differences)."""
    splines = snap.PairSplines((("N", "Zn"), ("C", "C")), r_min_A=1.2, r_max_A=4.0, knots=6)
    s = settings(pair_splines=splines)
    atoms = tiny_module.copy()
    atoms.rattle(0.05, seed=4)
    atoms.cell[0, 1] = cell_tilt
    rows = snap.frame_rows(atoms, s)
    n_snap = len(SPECIES) * (1 + 14)  # 2J = 4: 14 components per element
    assert rows.energy.size == n_snap + splines.n_columns
    beta = np.random.default_rng(2).normal(0.0, 0.05, rows.energy.size)
    beta[n_snap:] = np.random.default_rng(3).normal(0.0, 0.5, splines.n_columns)
    (tmp_path / snap.COEFF_FILE).write_text(s.coeff_text(beta))
    (tmp_path / snap.PARAM_FILE).write_text(s.param_text())
    (tmp_path / snap.TABLE_FILE).write_text(splines.table_text(beta[n_snap:]))
    labelled = evaluate(atoms, SPECIES, s.pair_commands(str(tmp_path)))
    predicted = snap.predict(rows, beta, atoms)
    assert predicted.get_potential_energy() == pytest.approx(
        labelled.get_potential_energy(), abs=1e-7
    )
    np.testing.assert_allclose(predicted.get_forces(), labelled.get_forces(), atol=1e-6)
    np.testing.assert_allclose(predicted.get_stress(), labelled.get_stress(), atol=1e-8)
    # the pair part alone: its forces are minus the derivative of its energy
    only = np.zeros_like(beta)
    only[n_snap:] = beta[n_snap:]
    zn = atoms.get_chemical_symbols().index("Zn")
    h, energies = 1e-4, []
    for sign in (1, -1):
        moved = atoms.copy()
        moved.positions[zn, 2] += sign * h
        energies.append(snap.predict(snap.frame_rows(moved, s), only, moved).get_potential_energy())
    force = snap.predict(rows, only, atoms).get_forces()[zn, 2]
    assert force == pytest.approx(-(energies[0] - energies[1]) / (2 * h), abs=1e-6)
    assert abs(force) > 1e-3  # the Zn has N neighbours inside the splines' range


def test_fit_recovers_the_teachers_coefficients(teacher):
    s, beta, frames = teacher
    fit = snap.fit(frames[:6], s, snap.RowWeights(), alpha=0.0)
    found = fit.coefficients.reshape(len(SPECIES), -1)
    true = beta.reshape(len(SPECIES), -1)
    # bispectrum coefficients exactly; the per-element constants only as the sum over
    # the composition, since every frame has the same one
    np.testing.assert_allclose(found[:, 1:], true[:, 1:], rtol=1e-6, atol=1e-7)
    counts = np.array([frames[0].get_chemical_symbols().count(e) for e in SPECIES])
    assert counts @ found[:, 0] == pytest.approx(counts @ true[:, 0], abs=1e-6)  # eV
    for atoms in frames[6:]:
        predicted = snap.predict(snap.frame_rows(atoms, s), fit.coefficients, atoms)
        np.testing.assert_allclose(predicted.get_forces(), atoms.get_forces(), atol=1e-7)


def test_element_force_weights_trade_other_errors_for_that_elements(teacher):
    """A student too small for the teacher (2J = 2 against 4): weighting Zn's force rows
    lowers the Zn force error and raises the others'."""
    s, _, frames = teacher
    student = settings(twojmax=2, zbl=s.zbl)

    def errors(weights):
        fit = snap.fit(frames[:8], student, weights, alpha=1e-8)
        out = {"Zn": [], "rest": []}
        for atoms in frames[:8]:
            predicted = snap.predict(snap.frame_rows(atoms, student), fit.coefficients, atoms)
            d = predicted.get_forces() - atoms.get_forces()
            zn = np.array(atoms.get_chemical_symbols()) == "Zn"
            out["Zn"].append(d[zn])
            out["rest"].append(d[~zn])
        return {k: float(np.sqrt(np.mean(np.concatenate(v) ** 2))) for k, v in out.items()}

    plain = errors(snap.RowWeights())
    weighted = errors(snap.RowWeights(element_forces={"Zn": 20.0}))
    assert weighted["Zn"] < 0.8 * plain["Zn"]
    assert weighted["rest"] > plain["rest"]


def test_tuning_finds_the_teachers_cutoff(teacher):
    s, _, frames = teacher
    start = settings(rcutfac=3.6, zbl=s.zbl)
    tune = {"cutoff": True, "alpha": True, "max_evaluations": 30}
    fit = snap.fit(frames[:5], start, snap.RowWeights(), 1e-6, frames[5:8], tune)
    assert fit.settings.rcutfac == pytest.approx(4.0, abs=0.02)
    assert len(fit.trace) >= 5 and fit.validation_score < fit.trace[0]["validation_score"]


def write_splits(tmp_path, frames):
    files = {}
    for name, part in (("train", frames[:5]), ("validation", frames[5:7]), ("test", frames[7:])):
        files[name] = str(tmp_path / f"{name}.extxyz")
        write_frames(files[name], part)
    lineage = pd.DataFrame(
        {
            "frame_id": [a.info["frame_id"] for a in frames],
            "split": ["train"] * 5 + ["validation"] * 2 + ["test"] * 3,
            "label_status": "labelled",
        }
    )
    lineage.to_csv(tmp_path / "lineage.csv", index=False)
    return files


def snap_block(**tune):
    return {
        "type": "snap",
        "dataset": "d",
        "species": None,
        "snap": {
            "twojmax": 4,
            "rcutfac": 4.0,
            "rfac0": 0.99363,
            "rmin0": 0.0,
            "radii": RADII,
            "weights": {"C": 1.0, "H": 0.8, "N": 1.0, "Zn": 0.9},
            "alpha": 0.0,
            "row_weights": {"energy": 100.0, "forces": 1.0, "stress": 1.0},
            "tune": {"cutoff": False, "alpha": False, **tune},
            "zbl": {"pairs": [["H", "H"]], "inner_A": 1.8, "outer_A": 2.3},
        },
    }


def test_written_files_reproduce_the_fit_in_lammps(teacher, tmp_path):
    _, _, frames = teacher
    files = write_splits(tmp_path, frames)
    model_dir = tmp_path / "model"
    lineage = str(tmp_path / "lineage.csv")
    train_job(Training("m", snap_block(), files, lineage, str(model_dir / "model.json"), "teacher"))
    model = load_model(model_dir / "model.json")
    assert model.species == SPECIES and "zbl" in model.pair_styles
    pair = (model_dir / "pair.lammps").read_text()
    assert "pair_coeff * * snap mofglass.snapcoeff mofglass.snapparam C H N Zn" in pair
    assert "pair_coeff 2 2 zbl 1 1" in pair
    table = evaluate_job(
        str(model_dir / "model.json"),
        files,
        str(tmp_path / "metrics.csv"),
        str(tmp_path / "parity.png"),
        str(tmp_path / "consistency.csv"),
    )
    assert list(table["split"]) == ["train", "validation", "test"]
    # the teacher is a SNAP of the same form: the student is exact
    assert (table["forces_rmse_meV_per_A"] < 1e-3).all()
    assert (table["energy_rmse_meV_per_atom"] < 1e-3).all()
    consistency = pd.read_csv(tmp_path / "consistency.csv")
    assert (consistency["max_abs_diff_forces_eV_per_A"] < 1e-6).all()
    assert (tmp_path / "parity.png").read_bytes()[:4] == b"\x89PNG"
    lineage = pd.read_csv(model_dir / "lineage.csv", keep_default_na=False)
    assert lineage["model_m"].tolist() == ["fit"] * 5 + ["tuning"] * 2 + ["evaluation"] * 3
    record = json.loads((model_dir / "fit.json").read_text())
    assert record["frames"] == {"train": 5, "validation": 2, "test": 3}

    # a coefficient file that no longer matches the fit is caught
    coefficients = (model_dir / snap.COEFF_FILE).read_text().splitlines()
    coefficients[5] = "0.5"
    (model_dir / snap.COEFF_FILE).write_text("\n".join(coefficients) + "\n")
    with pytest.raises(ConsistencyError, match="differs from the fit"):
        evaluate_job(
            str(model_dir / "model.json"), files, *(str(tmp_path / f) for f in ("m", "p.png", "c"))
        )

    curve = learning_curve_job(
        str(model_dir / "model.json"),
        files,
        {"fractions": [0.2, 0.6, 1.0], "seed": 0},
        str(tmp_path / "lc.csv"),
        str(tmp_path / "lc.png"),
    )
    assert sorted(set(curve["n_train"])) == [1, 3, 5]
    assert set(curve["split"]) == {"validation", "test"}


def test_model_and_structure_must_share_elements(tiny_module):
    with pytest.raises(LAMMPSError, match="the model knows C, H, N but the structure also has Zn"):
        evaluate(tiny_module, ("C", "H", "N"), ["pair_style zero 4.0", "pair_coeff * *"])


def test_walls_sit_below_the_shortest_training_distance(teacher):
    _, _, frames = teacher
    walls = snap.Walls.from_frames(frames, SPECIES, radius=5.0, margin_A=0.05, k_eV_per_A2=40.0)
    r0 = {(a, b): r for a, b, r in walls.pairs}
    assert set(r0) == {(a, b) for n, a in enumerate(SPECIES) for b in SPECIES[n:]}
    shortest = min(
        min(a.get_distance(0, j, mic=True) for j in range(1, len(a)) if a[j].symbol == "N")
        for a in frames
        if a[0].symbol == "Zn"
    )
    assert frames[0][0].symbol == "Zn"
    assert r0[("N", "Zn")] <= shortest - 0.05 + 1e-9
    assert r0[("Zn", "Zn")] == pytest.approx(5.0 - 0.05)  # one Zn: no Zn-Zn pair seen


def test_walls_leave_the_training_frames_alone_and_push_back_inside(teacher, tmp_path):
    """The fit with walls reproduces LAMMPS on a frame squeezed inside the walls too:
    energy, forces and stress (compute snap's own reference virial is wrong there)."""
    s, _, frames = teacher
    walls = snap.Walls.from_frames(frames, SPECIES, s.cutoff(), 0.02, 50.0)
    s = settings(zbl=s.zbl, walls=walls)
    fit = snap.fit(frames, s, snap.RowWeights(), alpha=1e-8)
    (tmp_path / snap.COEFF_FILE).write_text(s.coeff_text(fit.coefficients))
    (tmp_path / snap.PARAM_FILE).write_text(s.param_text())
    walls_only = s.reference_commands()
    for atoms in frames[:2]:
        assert evaluate(atoms, SPECIES, walls_only).get_potential_energy() == pytest.approx(0.0)
    squeezed = frames[0].copy()
    squeezed.set_cell(squeezed.cell * 0.85, scale_atoms=True)
    lammps = evaluate(squeezed, SPECIES, s.pair_commands(str(tmp_path)))
    own = snap.predict(snap.frame_rows(squeezed, s), fit.coefficients, squeezed)
    assert evaluate(squeezed, SPECIES, walls_only).get_potential_energy() > 0.1
    assert own.get_potential_energy() == pytest.approx(lammps.get_potential_energy(), abs=1e-6)
    np.testing.assert_allclose(own.get_forces(), lammps.get_forces(), atol=1e-6)
    np.testing.assert_allclose(own.get_stress(), lammps.get_stress(), atol=1e-8)


def test_the_reference_energies_of_one_composition_stay_finite_and_small():
    # every frame ZIF-4's composition: the four per-element constants are determined
    # only in sum; least squares must share it, not run off to 1e9 eV against huge
    # bispectrum coefficients (which cost LAMMPS 1e-4 eV/atom to cancellation)
    from mofglass.snap import solve

    rng = np.random.default_rng(0)
    n_species, per_species = 4, 5  # a constant and 4 components per element
    counts = np.array([96, 96, 64, 16]) / 272
    n_frames, n_forces = 40, 600
    x = np.zeros((n_frames + n_forces, n_species * per_species))
    for k in range(n_species):
        block = slice(k * per_species, (k + 1) * per_species)
        x[:n_frames, block.start] = counts[k]
        x[:n_frames, block.start + 1 : block.stop] = rng.normal(1.0, 0.1, (n_frames, 4))
        x[n_frames:, block.start + 1 : block.stop] = rng.normal(0.0, 1.0, (n_forces, 4))
    truth = rng.normal(0.0, 1.0, x.shape[1])
    truth[::per_species] = -6.5  # eV/atom per element
    y = x @ truth + rng.normal(0.0, 1e-3, len(x))
    w = np.concatenate([np.full(n_frames, 100.0), np.ones(n_forces)])
    for alpha in (0.0, 1e-6, 1e-2):
        beta = solve(x, y, w, alpha, n_species)
        assert np.abs(beta).max() < 100, (alpha, np.abs(beta).max())
        # the energy per atom of the composition is what the data fix
        assert counts @ beta[::per_species] == pytest.approx(
            counts @ truth[::per_species], abs=0.05
        )
        assert np.sqrt(np.mean((x[:n_frames] @ beta - y[:n_frames]) ** 2)) < 0.01


def test_a_committee_disagrees_where_the_model_errs(tiny_module, tmp_path):
    """Four bootstrap members of a SNAP fitted to a Morse teacher it cannot represent:
    σ_F is the members' spread, recomputed here from their own LAMMPS predictions, and
    it is larger on frames shaken harder than any training frame, where the model errs
    more."""
    from scipy.stats import spearmanr

    from mofglass.train import committee_members

    morse = ("pair_style morse 4.5", "pair_coeff * * 0.08 1.6 1.8")
    frames = []
    for k, shake in enumerate([0.04] * 7 + [0.04, 0.04, 0.04, 0.15, 0.15, 0.15]):
        atoms = tiny_module.copy()
        atoms.rattle(shake, seed=100 + k)
        labelled = evaluate(atoms, SPECIES, morse)
        labelled.info.update(level_of_theory="morse", frame_id=f"m:{k}", run="m", step=k)
        frames.append(labelled)
    files = {}
    for name, part in (("train", frames[:5]), ("validation", frames[5:7]), ("test", frames[7:])):
        files[name] = str(tmp_path / f"{name}.extxyz")
        write_frames(files[name], part)
    pd.DataFrame(
        {"frame_id": [a.info["frame_id"] for a in frames], "label_status": "labelled"}
        | {"split": ["train"] * 5 + ["validation"] * 2 + ["test"] * 6}
    ).to_csv(tmp_path / "lineage.csv", index=False)
    block = snap_block() | {"committee": {"members": 4, "seed": 0}}
    block["snap"] = block["snap"] | {"alpha": 1e-4, "zbl": None}
    model_file = tmp_path / "model/model.json"
    lineage = str(tmp_path / "lineage.csv")
    train_job(Training("m", block, files, lineage, str(model_file), "morse"))
    members = committee_members(model_file)
    assert [p.parent.name for p in members] == [f"member{k}" for k in range(4)]
    out = {k: str(tmp_path / f"{k}.csv") for k in ("metrics", "consistency", "committee")}
    evaluate_job(
        str(model_file),
        files,
        out["metrics"],
        str(tmp_path / "parity.png"),
        out["consistency"],
        committee_file=out["committee"],
    )
    table = pd.read_csv(out["committee"]).query("split == 'test'").reset_index(drop=True)
    test = read_frames(files["test"])  # the labels as the job reads them (8 decimals)
    forces = np.array(
        [[a.get_forces() for a in load_model(m).predict(test)] for m in members]
    )  # (members, frames, atoms, 3)
    spread = np.sqrt(((forces - forces.mean(axis=0)) ** 2).sum(axis=3).mean(axis=0))
    # the table's digits: 1e-8 eV/Å
    np.testing.assert_allclose(table["sigma_F_max_eV_per_A"], spread.max(axis=1), atol=1e-8)
    model = [a.get_forces() for a in load_model(model_file).predict(test)]
    errors = [
        np.linalg.norm(f - a.get_forces(), axis=1).max() for f, a in zip(model, test, strict=True)
    ]
    np.testing.assert_allclose(table["error_F_max_eV_per_A"], errors, atol=1e-8)
    shaken = table["sigma_F_max_eV_per_A"].iloc[3:].mean()
    assert shaken > 2 * table["sigma_F_max_eV_per_A"].iloc[:3].mean()
    assert spearmanr(table["sigma_F_max_eV_per_A"], errors)[0] > 0.5


def test_an_energy_offset_is_reported_and_removed_from_its_own_mae(tiny_module):
    """A model of another level is off by a constant per atom: the metrics give that
    offset and the MAE once it is removed (here: the noise about the offset)."""
    from ase.calculators.singlepoint import SinglePointCalculator

    from mofglass.evaluation import metrics, pairs

    rng = np.random.default_rng(5)
    n = len(tiny_module)
    noise = rng.normal(0, 0.002, 8)  # eV/atom
    reference, predicted = [], []
    for k in range(8):
        forces = rng.normal(0, 0.1, (n, 3))
        ref, pred = tiny_module.copy(), tiny_module.copy()
        ref.calc = SinglePointCalculator(ref, energy=-5.0 * n, forces=forces)
        pred.calc = SinglePointCalculator(pred, energy=(-5.0 + 0.214 + noise[k]) * n, forces=forces)
        reference.append(ref)
        predicted.append(pred)
    row = metrics("m", "test", pairs(reference, predicted))
    offset = 0.214 + noise.mean()
    assert row["energy_offset_meV_per_atom"] == pytest.approx(1e3 * offset, rel=1e-9)
    assert row["energy_mae_meV_per_atom"] == pytest.approx(1e3 * np.mean(np.abs(0.214 + noise)))
    assert row["energy_mae_after_offset_meV_per_atom"] == pytest.approx(
        1e3 * np.mean(np.abs(noise - noise.mean())), rel=1e-6
    )


def test_a_per_atom_type_snap_is_what_an_element_snap_cannot_be(tiny_module, tmp_path):
    """A teacher SNAP with its own coefficients for each atom type (the imidazolate's two
    kinds of C and of H, as Sharma & Sanvito type them): a student typed the same way
    recovers it exactly through the written files, an element student cannot; the typed
    model runs MD in LAMMPS with the types the structure starts with, and a structure
    with a type it never saw is refused."""
    from mofglass.chemistry import model_types
    from mofglass.md import Protocol, Stage, run_md

    types = tuple(sorted(set(model_types(tiny_module))))
    assert {"C(HNN)", "C(CHN)", "H[C(HNN)]", "H[C(CHN)]"} <= set(types)
    element = {t: t.split("[")[0].split("(")[0] for t in types}
    element_weights = snap_block()["snap"]["weights"]
    typed = settings(
        species=types,
        radii={t: RADII[element[t]] for t in types},
        weights={t: element_weights[element[t]] for t in types},
    )
    rows = snap.frame_rows(tiny_module, typed)
    beta = np.random.default_rng(1).normal(0.0, 0.002, rows.energy.size)  # gentle: MD below
    teacher_dir = tmp_path / "teacher"
    teacher_dir.mkdir()
    (teacher_dir / snap.COEFF_FILE).write_text(typed.coeff_text(beta))
    (teacher_dir / snap.PARAM_FILE).write_text(typed.param_text())
    frames = []
    for k in range(10):
        atoms = tiny_module.copy()
        atoms.rattle(0.05, seed=100 + k)
        labelled = evaluate(atoms, types, typed.pair_commands(str(teacher_dir)))
        labelled.info.update(level_of_theory="teacher", frame_id=f"t:{k}", run="t", step=k)
        frames.append(labelled)
    files = write_splits(tmp_path, frames)
    errors = {}
    for by in ("element", "atom_type"):
        block = snap_block()
        block["snap"] = {**block["snap"], "species": by, "zbl": None, "alpha": 1e-12}
        model_file = tmp_path / by / "model.json"
        lineage = str(tmp_path / "lineage.csv")
        train_job(Training(by, block, files, lineage, str(model_file), "teacher"))
        table = evaluate_job(
            str(model_file), files, *(str(tmp_path / by / f) for f in ("m.csv", "p.png", "c.csv"))
        )
        errors[by] = table.set_index("split").loc["test", "forces_rmse_meV_per_A"]
    assert load_model(tmp_path / "atom_type" / "model.json").species == types
    assert errors["atom_type"] < 1e-2  # meV/Å: exact
    assert errors["element"] > 0.5  # one set of coefficients per element cannot be

    model = load_model(tmp_path / "atom_type" / "model.json")
    stage = Stage("nve", "nve", temperature_K=300, duration_ps=0.05, timestep_fs=0.5)
    result = run_md(tiny_module, model, Protocol((stage,), seed=3), tmp_path / "md")
    assert result.verdict == "ok", result.reason
    assert result.frames[-1].get_chemical_symbols() == tiny_module.get_chemical_symbols()
    data = (tmp_path / "md" / "structure.data").read_text()
    assert f"{len(types)} atom types" in data
    assert [list(f.arrays["atom_type"]) for f in result.frames] == [model_types(tiny_module)] * len(
        result.frames
    )  # every frame keeps the types the run started with

    stripped = tiny_module.copy()
    del stripped[[a.index for a in stripped if a.symbol == "H"][:1]]  # one C loses its H
    with pytest.raises(LAMMPSError, match="not among the model's"):
        model.predict([stripped])


def test_a_typed_snap_learns_a_broken_bond_on_the_types_it_runs_with(tiny_module, tmp_path):
    """Frames made by MD keep their run's start types (LAMMPS keeps an atom's type
    through a run). A hot frame with an H torn off its C, typed by its own geometry,
    would make new types that no MD run ever has; typed by its start, it teaches the
    start's types, so a typed student trained on it recovers a typed teacher exactly on
    the broken frames too, with no type beyond the start's."""
    from mofglass.chemistry import inherit_types, model_types

    types = tuple(sorted(set(model_types(tiny_module))))
    element = {t: t.split("[")[0].split("(")[0] for t in types}
    typed = settings(
        species=types,
        radii={t: RADII[element[t]] for t in types},
        weights={t: snap_block()["snap"]["weights"][element[t]] for t in types},
    )
    beta = np.random.default_rng(2).normal(
        0.0, 0.002, snap.frame_rows(tiny_module, typed).energy.size
    )
    (tmp_path / snap.COEFF_FILE).write_text(typed.coeff_text(beta))
    (tmp_path / snap.PARAM_FILE).write_text(typed.param_text())
    hydrogen = next(a.index for a in tiny_module if a.symbol == "H")
    carbon = int(
        np.argmin(
            [
                tiny_module.get_distance(hydrogen, c) if s == "C" else np.inf
                for c, s in enumerate(tiny_module.get_chemical_symbols())
            ]
        )
    )
    frames = []
    for k in range(10):
        atoms = tiny_module.copy()
        atoms.rattle(0.05, seed=200 + k)
        if k % 3 == 0:  # the H torn 1.5 Å further off its C
            away = atoms.positions[hydrogen] - atoms.positions[carbon]
            atoms.positions[hydrogen] += 1.5 * away / np.linalg.norm(away)
        frames.append(atoms)
    by_geometry = {t for a in frames for t in model_types(a)}
    assert by_geometry - set(types), "a torn H makes new types when typed by geometry"
    inherit_types(frames, tiny_module)
    labelled = []
    for k, atoms in enumerate(frames):
        frame = evaluate(atoms, types, typed.pair_commands(str(tmp_path)))
        frame.info.update(level_of_theory="teacher", frame_id=f"t:{k}", run="t", step=k)
        labelled.append(frame)
    files = write_splits(tmp_path, labelled)  # through extxyz: the types travel with them
    block = snap_block()
    block["snap"] = {**block["snap"], "species": "atom_type", "zbl": None, "alpha": 1e-12}
    model_file = tmp_path / "student" / "model.json"
    train_job(
        Training("s", block, files, str(tmp_path / "lineage.csv"), str(model_file), "teacher")
    )
    model = load_model(model_file)
    assert model.species == types
    broken = [f for k, f in enumerate(labelled) if k % 3 == 0]
    predicted = model.predict(broken)
    error = max(
        np.abs(p.get_forces() - f.get_forces()).max()
        for p, f in zip(predicted, broken, strict=True)
    )
    assert error < 1e-4  # eV/Å: the teacher, on the torn frames too


def test_walls_and_zbl_of_an_element_pair_cover_every_pair_of_its_atom_types():
    species = ("C(CHN)", "C(HNN)", "H[C(CHN)]")
    walls = snap.Walls((("C", "C", 1.2), ("C", "H", 0.9)), 50.0)
    lines = walls.commands(species)[1:]
    assert [line.split()[1:3] for line in lines] == [
        ["1", "1"], ["1", "2"], ["2", "2"], ["1", "3"], ["2", "3"]
    ]  # fmt: skip
    s = settings(
        species=species,
        radii=dict.fromkeys(species, 0.5),
        weights=dict.fromkeys(species, 1.0),
        zbl=snap.ZBL((("H", "H"), ("C", "H")), 1.8, 2.3),
    )
    assert s._zbl_coeffs() == [
        "pair_coeff 3 3 zbl 1 1", "pair_coeff 1 3 zbl 6 1", "pair_coeff 2 3 zbl 6 1"
    ]  # fmt: skip


def _bonds(atoms, a, b, below=1.7):
    """Index pairs and lengths (Å) of the a-b pairs of ``atoms`` shorter than ``below``."""
    d = atoms.get_all_distances(mic=True)
    s = np.array(atoms.get_chemical_symbols())
    i, j = np.triu_indices(len(atoms), 1)
    mask = (((s[i] == a) & (s[j] == b)) | ((s[i] == b) & (s[j] == a))) & (d[i, j] < below)
    return i[mask], j[mask], d[i, j][mask]


def _stretched(atoms, keepers, into=0.3):
    """``atoms`` with one C-H bond pulled ``into`` of the way into its keeper's window;
    the moved H, its C and the expected keeper energy (eV)."""
    ci, hi, _ = _bonds(atoms, "C", "H")
    c, h = (ci[0], hi[0]) if atoms[ci[0]].symbol == "C" else (hi[0], ci[0])
    _, _, lo, top = next(p for p in keepers.pairs if {p[0], p[1]} == {"C", "H"})
    moved = atoms.copy()
    unit = atoms.get_distance(c, h, mic=True, vector=True)
    unit /= np.linalg.norm(unit)
    moved.positions[h] = atoms.positions[c] + unit * (lo + into * (top - lo))
    return moved, h, c, keepers.height_eV * np.sin(np.pi * into) ** 2


def test_keepers_start_past_the_median_bond_of_each_bonded_pair(tiny_module):
    keepers = snap.Keepers.from_frames(
        [tiny_module], SPECIES, [["C", "N"], ["C", "H"], ["N", "Zn"]], 0.25, 0.35, 5.0
    )
    found = {(a, b): (lo, top) for a, b, lo, top in keepers.pairs}
    assert set(found) == {("C", "H"), ("C", "N")}  # Zn-N (2.0 Å) is no covalent bond
    for pair in found:
        median = np.median(_bonds(tiny_module, *pair)[2])
        assert found[pair] == pytest.approx((median + 0.25, median + 0.6))
    # nothing held on the frame they were made from
    assert not keepers.acting(tiny_module, SPECIES, at_least_eV=1e-12)


def test_a_pair_close_only_in_a_broken_frame_gets_no_keeper(tiny_module):
    """Typed by their run's start, the C2 and C4 of a ring that a hot frame squeezed to
    1.5 Å are one frame's accident, not a bond: no keeper on them (else it would hold
    every sane frame, where they sit 2.2 Å apart)."""
    from mofglass.chemistry import inherit_types, model_types

    types = tuple(sorted(set(model_types(tiny_module))))
    c2 = next(k for k, t in enumerate(model_types(tiny_module)) if t == "C(HNN)")
    c4 = min(
        (k for k, t in enumerate(model_types(tiny_module)) if t == "C(CHN)"),
        key=lambda k: tiny_module.get_distance(c2, k, mic=True),
    )
    assert tiny_module.get_distance(c2, c4, mic=True) > 2.0
    frames = [tiny_module.copy() for _ in range(3)]
    squeezed = frames[0]
    away = squeezed.get_distance(c2, c4, mic=True, vector=True)
    squeezed.positions[c4] -= (1 - 1.5 / np.linalg.norm(away)) * away
    inherit_types(frames, tiny_module)
    keepers = snap.Keepers.from_frames(frames, types, [["C", "C"]], 0.25, 0.35, 5.0)
    assert [(a, b) for a, b, *_ in keepers.pairs] == [("C(CHN)", "C(CHN)")]  # C4-C5 only
    assert not keepers.acting(frames[1], types, at_least_eV=1e-12)


def test_keeper_rows_reproduce_the_lammps_table_and_hold_a_stretched_bond(tiny_module, tmp_path):
    keepers = snap.Keepers.from_frames(
        [tiny_module], SPECIES, [["C", "N"], ["C", "H"]], 0.25, 0.35, 5.0
    )
    s = settings(keepers=keepers)
    atoms, h, c, expected = _stretched(tiny_module, keepers)
    rows = snap.frame_rows(atoms, s)
    beta = np.random.default_rng(5).normal(0.0, 0.05, rows.energy.size)
    (tmp_path / snap.COEFF_FILE).write_text(s.coeff_text(beta))
    (tmp_path / snap.PARAM_FILE).write_text(s.param_text())
    (tmp_path / snap.KEEPER_FILE).write_text(keepers.table_text())
    lammps = evaluate(atoms, SPECIES, s.pair_commands(str(tmp_path)))
    own = snap.predict(rows, beta, atoms)
    assert own.get_potential_energy() == pytest.approx(lammps.get_potential_energy(), abs=1e-5)
    np.testing.assert_allclose(own.get_forces(), lammps.get_forces(), atol=1e-4)
    np.testing.assert_allclose(own.get_stress(), lammps.get_stress(), atol=1e-7)
    # the keepers alone: the formula's energy, and a force that pulls the H back to its C
    alone = snap.predict(rows, np.zeros_like(beta), atoms)
    assert alone.get_potential_energy() == pytest.approx(expected, rel=1e-9)
    back = atoms.positions[c] - atoms.positions[h]
    assert np.dot(alone.get_forces()[h], back) > 0
    energies = []
    for sign in (1, -1):
        moved = atoms.copy()
        moved.positions[h] -= sign * 1e-5 * back / np.linalg.norm(back)
        energies.append(snap.predict(snap.frame_rows(moved, s), np.zeros_like(beta), moved))
    slope = (energies[0].get_potential_energy() - energies[1].get_potential_energy()) / 2e-5
    assert np.dot(alone.get_forces()[h], -back / np.linalg.norm(back)) == pytest.approx(
        -slope, rel=1e-4
    )


def test_frames_whose_linker_is_breaking_are_left_out_of_a_kept_fit(teacher, tmp_path):
    """A training frame with a C-H bond inside its keeper is left out of the fit (and
    the lineage says so); the rest still fit the teacher exactly."""
    _, _, frames = teacher
    block = snap_block()
    block["snap"]["keepers"] = {
        "pairs": [["C", "H"]],
        "stretch_A": 0.25,
        "width_A": 0.35,
        "height_eV": 5.0,
    }
    keepers = snap.Keepers.from_frames(frames[:5], SPECIES, [["C", "H"]], 0.25, 0.35, 5.0)
    broken, *_ = _stretched(frames[4], keepers, into=0.5)
    broken.calc = frames[4].calc  # its labels are never used: the frame is left out
    broken.info = dict(frames[4].info)
    files = write_splits(tmp_path, [*frames[:4], broken, *frames[5:]])
    model_dir = tmp_path / "model"
    train_job(
        Training(
            "m",
            block,
            files,
            str(tmp_path / "lineage.csv"),
            str(model_dir / "model.json"),
            "teacher",
        )
    )
    record = json.loads((model_dir / "fit.json").read_text())
    assert record["left_out_by_keepers"] == [frames[4].info["frame_id"]]
    assert record["frames"]["train"] == 4
    lineage = pd.read_csv(model_dir / "lineage.csv", keep_default_na=False)
    assert (
        lineage["model_m"].tolist()
        == ["fit"] * 4 + ["left out (keepers)"] + ["tuning"] * 2 + ["evaluation"] * 3
    )
    table = evaluate_job(
        str(model_dir / "model.json"),
        files,
        *(str(tmp_path / f) for f in ("m.csv", "p.png", "c.csv")),
    )
    assert table.set_index("split").loc["test", "forces_rmse_meV_per_A"] < 1e-2


def test_keepers_beside_pair_splines_are_two_lammps_tables(tiny_module, tmp_path):
    """Both table sub-styles at once (LAMMPS numbers them): the fit's rows still match."""
    keepers = snap.Keepers.from_frames([tiny_module], SPECIES, [["C", "H"]], 0.25, 0.35, 5.0)
    splines = snap.PairSplines((("N", "Zn"),), r_min_A=1.2, r_max_A=4.0, knots=6)
    s = settings(keepers=keepers, pair_splines=splines)
    atoms, *_ = _stretched(tiny_module, keepers)
    rows = snap.frame_rows(atoms, s)
    beta = np.random.default_rng(6).normal(0.0, 0.05, rows.energy.size)
    (tmp_path / snap.COEFF_FILE).write_text(s.coeff_text(beta))
    (tmp_path / snap.PARAM_FILE).write_text(s.param_text())
    (tmp_path / snap.TABLE_FILE).write_text(splines.table_text(beta[-splines.n_columns :]))
    (tmp_path / snap.KEEPER_FILE).write_text(keepers.table_text())
    lammps = evaluate(atoms, SPECIES, s.pair_commands(str(tmp_path)))
    own = snap.predict(rows, beta, atoms)
    assert own.get_potential_energy() == pytest.approx(lammps.get_potential_energy(), abs=1e-5)
    np.testing.assert_allclose(own.get_forces(), lammps.get_forces(), atol=1e-4)
