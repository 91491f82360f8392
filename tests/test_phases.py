"""The local phase classifier: symmetry functions invariant under rotation, translation
and permutation; a network trained on crystal and liquid frames of a small cell (real
LAMMPS MD) separates frames it has never seen."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from scipy.spatial.transform import Rotation

from mofglass import phases
from mofglass.md import Protocol, Stage, run_md
from mofglass.models import Model
from mofglass.structures import load_structure

ZIF_SETTINGS = {
    "r_cut_A": 12.0,
    "radial": [[0.5, 6.0], [0.5, 8.0], [0.5, 10.0], [0.5, 11.5]],
    "angular": [[0.005, z, lam] for z in (1, 2, 4, 16) for lam in (1, -1)],
}


def test_zn_symmetry_functions_are_invariant():
    atoms = load_structure("builtin:ZIF-4")
    reference = phases.symmetry_functions([atoms], ZIF_SETTINGS)
    assert reference.shape == (16, 12)  # 16 Zn, 4 radial + 8 angular
    assert np.all(np.isfinite(reference)) and np.abs(reference[:, 4:]).max() > 0

    moved = atoms.copy()
    moved.translate([1.7, -3.2, 0.4])
    moved.wrap()
    rotation = Rotation.from_euler("xyz", [23, -41, 67], degrees=True).as_matrix()
    moved.set_cell(moved.cell[:] @ rotation.T, scale_atoms=True)
    np.testing.assert_allclose(
        phases.symmetry_functions([moved], ZIF_SETTINGS), reference, atol=1e-8
    )

    order = np.random.default_rng(1).permutation(len(atoms))
    shuffled = atoms[order]
    zn_before = np.flatnonzero(atoms.numbers == 30)
    zn_after = order[shuffled.numbers == 30]  # original index of each Zn after shuffling
    features = phases.symmetry_functions([shuffled], ZIF_SETTINGS)
    np.testing.assert_allclose(features, reference[np.searchsorted(zn_before, zn_after)], atol=1e-8)
    # the Zn of ZIF-4 sit in two symmetry-distinct sites: at most two distinct rows
    assert len(np.unique(reference.round(8), axis=0)) <= 2


# --- crystal against liquid, an LJ "Zn" system -------------------------------------

LJ_ZN = Model(
    "ljzn", "lj", ("Zn",), ("lj/cut",), ("pair_style lj/cut 8.5", "pair_coeff * * 0.0104 3.40")
)
LJ_SETTINGS = {
    "r_cut_A": 8.0,
    "radial": [[2.0, 3.8], [2.0, 5.4], [2.0, 6.6], [2.0, 7.6]],
    "angular": [[0.05, z, lam] for z in (1, 2, 4, 8) for lam in (1, -1)],
    "hidden": [6],
    "alpha": 1e-4,
    "max_iter": 2000,
    "test_fraction": 0.2,
    "seed": 0,
}


def md_frames(temperature, seed, tmp_path, name):
    """Crystal: NPT at 0 GPa from LJ argon's fcc cell (108 atoms). Liquid: NVT above
    the melting line (T* = 1.24, rho* = 0.88; NPT at 0 GPa would boil)."""
    liquid = temperature > 100
    atoms = bulk("Zn", "fcc", a=5.60 if liquid else 5.30, cubic=True).repeat(3)
    stage = Stage(
        name,
        "nvt" if liquid else "npt",
        temperature_K=temperature,
        pressure_GPa=0.0,
        cell="iso",
        steps=6000,
        timestep_fs=5.0,
        thermo_every=100,
        dump_every=300,
    )
    protocol = Protocol((stage,), seed=seed, max_temperature_factor=None)
    result = run_md(atoms, LJ_ZN, protocol, tmp_path / name)
    assert result.verdict == "ok"
    if liquid:  # it melted: most atoms are far from every fcc site
        from ase.geometry import get_distances

        _, d = get_distances(
            result.frames[-1].positions, atoms.positions, cell=atoms.cell, pbc=True
        )
        assert np.mean(d.min(axis=1) < 1.0) < 0.5
    return result.frames[len(result.frames) // 2 :]  # the second half: equilibrated


@pytest.mark.lammps
def test_classifier_separates_held_out_crystal_and_liquid_frames(tmp_path):
    crystal = md_frames(20.0, 3, tmp_path, "crystal")
    liquid = md_frames(150.0, 4, tmp_path, "liquid")
    features = phases.symmetry_functions(crystal + liquid, LJ_SETTINGS)
    labels = ["crystal"] * (108 * len(crystal)) + ["liquid"] * (108 * len(liquid))
    fit = phases.train(features, labels, LJ_SETTINGS)
    assert fit["accuracy"] > 0.95 and min(fit["per_class"].values()) > 0.9
    network = fit["model"].steps[-1][1]
    assert [w.shape for w in network.coefs_] == [(12, 6), (6, 1)]  # 12-6-(2 classes)
    assert fit["confusion"].to_numpy().sum() == fit["n_test"]
    # frames of independent runs the network never saw
    unseen = phases.fractions(fit["model"], md_frames(20.0, 5, tmp_path, "c2")[-3:], LJ_SETTINGS)
    assert (unseen["fraction_crystal"] > 0.9).all()
    unseen = phases.fractions(fit["model"], md_frames(150.0, 6, tmp_path, "l2")[-3:], LJ_SETTINGS)
    assert (unseen["fraction_liquid"] > 0.9).all()
    assert np.allclose(unseen[["p_crystal", "p_liquid"]].sum(axis=1), 1.0)


@pytest.mark.lammps
def test_train_and_over_time_jobs(tmp_path):
    import pandas as pd

    from mofglass.atomicio import write_frames
    from mofglass.chemistry import derive
    from mofglass.jobs.phases import over_time_job, train_job
    from mofglass.structures import load_structure

    settings = {"symmetry_functions": LJ_SETTINGS, "network": LJ_SETTINGS}
    write_frames(tmp_path / "crystal.extxyz", md_frames(20.0, 3, tmp_path, "crystal"))
    write_frames(tmp_path / "liquid.extxyz", md_frames(150.0, 4, tmp_path, "liquid"))
    write_frames(tmp_path / "none.extxyz", [])  # a class whose MD failed
    names = ("model", "metrics", "confusion", "figure")
    out = {k: str(tmp_path / "clf" / k) for k in names}
    files = {
        "crystal": [str(tmp_path / "crystal.extxyz")],
        "glass": [str(tmp_path / "none.extxyz")],
    }
    assert not train_job(files, settings, out)["trained"]  # one class with frames
    assert "two are needed" in pd.read_csv(out["metrics"])["note"].iloc[0]
    files["liquid"] = [str(tmp_path / "liquid.extxyz")]
    chemistry_file = tmp_path / "ZIF-4.chemistry.json"  # Zn, N, 2.5 Å
    derive(load_structure("builtin:ZIF-4")).write(chemistry_file)
    fit = train_job(files, settings, out, str(chemistry_file))
    metrics = pd.read_csv(out["metrics"]).set_index("class")
    assert fit["trained"] and metrics.loc["all", "accuracy"] > 0.95
    assert metrics.loc["glass", "note"] == "no frames: left out"
    # a trajectory from crystal to liquid: unseen runs of each, one after the other
    frames = md_frames(20.0, 5, tmp_path, "c2") + md_frames(150.0, 6, tmp_path, "l2")
    for k, frame in enumerate(frames):
        frame.info.update(step=100 * k, time_ps=0.5 * k)
    half = len(frames) // 2
    write_frames(tmp_path / "trajectory.extxyz", frames)
    thermo = pd.DataFrame(
        {
            "step": [100 * k for k in range(len(frames))],
            "temperature_K": [20.0] * half + [150.0] * (len(frames) - half),
        }
    )
    thermo.to_csv(tmp_path / "thermo.tsv", sep="\t", index=False)
    out = {k: str(tmp_path / "time" / k) for k in ("table", "figure")}
    table = over_time_job(
        str(tmp_path / "clf/model"),
        str(tmp_path / "trajectory.extxyz"),
        str(tmp_path / "thermo.tsv"),
        settings,
        str(chemistry_file),
        out,
    )
    assert len(table) == len(frames)
    assert list(table["temperature_K"]) == list(thermo["temperature_K"])
    assert (table["fraction_crystal"][:half] > 0.9).all()
    assert (table["fraction_liquid"][half:] > 0.9).all()
    assert (table["fraction_cn3"] == 0).all()  # no N: no Zn-N coordination at all
