"""Assembling datasets from a selection and its labels: lineage, gate, one level only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ase import Atoms

from mofglass.atomicio import write_frames
from mofglass.datasets import DatasetError, assemble, check_one_level, label_requests, load_frames
from mofglass.frames import attach_results
from mofglass.labels import QualityGate, judge
from mofglass.pool import frame_id
from mofglass.selection import select

RUN = "X/T300_V1.000"


def aimd_frame(step, force=0.5, level="xtb"):
    atoms = Atoms("H2", positions=[[0, 0, 0], [0, 0, 0.74 + 0.01 * step]], cell=[6] * 3, pbc=True)
    attach_results(atoms, -1.0 - 0.001 * step, [[0, 0, force], [0, 0, -force]], np.zeros(6))
    atoms.info.update(step=step, run=RUN, level_of_theory=level, scf_converged=True, source="aimd")
    return atoms


@pytest.fixture
def lineage(tmp_path):
    frames = [aimd_frame(s, force=50.0 if s == 7 else 0.5) for s in range(11)]
    path = tmp_path / "trajectory.extxyz"
    write_frames(path, frames)
    pool = pd.DataFrame(
        {
            "frame_id": [frame_id(RUN, s) for s in range(1, 11)],
            "structure": "X",
            "run": RUN,
            "trajectory": str(path),
            "frame": range(1, 11),
            "step": range(1, 11),
            "time_fs": np.arange(1, 11) * 0.5,
            "temperature_K": 300.0,
            "volume_scale": 1.0,
            "n_atoms": 2,
            "energy_eV": [f.get_potential_energy() for f in frames[1:]],
        }
    )
    pool["energy_per_atom_eV"] = pool["energy_eV"] / 2
    block = {"selector": "random", "train": 4, "test": 2, "validation": None, "seed": 5}
    return select(pool, "d", block)


def test_aimd_labels_are_gated_and_tracked(lineage):
    splits, quarantine, table = assemble(lineage, "xtb", "aimd", gate=QualityGate(), stress=True)
    chosen = lineage[lineage["split"] != "reserve"]
    got = {n: sorted(a.info["frame_id"] for a in f) for n, f in splits.items()}
    step7 = frame_id(RUN, 7)
    for name in ("train", "test", "validation"):
        want = sorted(set(chosen.loc[chosen["split"] == name, "frame_id"]) - {step7})
        assert got[name] == want
    assert [a.info["frame_id"] for a in quarantine] == [step7]
    row = table.set_index("frame_id").loc[step7]
    assert row["label_status"] == "quarantined" and "max force" in row["label_problem"]
    # reserve frames get no labels; every labelled frame keeps its AIMD results
    capped = lineage.assign(split=lineage["split"].replace({"validation": "reserve"}))
    _, _, table = assemble(capped, "xtb", "aimd", gate=QualityGate(), stress=True)
    reserve = table[table["split"] == "reserve"]
    assert len(reserve) == 4 and (reserve["label_status"] == "").all()
    for frames in splits.values():
        for atoms in frames:
            assert atoms.get_forces()[0, 2] == pytest.approx(0.5)
            assert "momenta" not in atoms.arrays


def test_single_point_labels_must_cover_the_selection(lineage):
    chosen = lineage[lineage["split"] != "reserve"]
    frames = list(load_frames(chosen, keep_results=True))
    gate = QualityGate()
    labelled = [judge(f, gate, True) for f in frames]
    splits, quarantine, _ = assemble(lineage, "xtb", "single_point", labelled=labelled, gate=gate)
    assert sum(len(f) for f in splits.values()) + len(quarantine) == len(chosen)
    with pytest.raises(DatasetError, match="have no label"):
        assemble(lineage, "xtb", "single_point", labelled=labelled[1:])


def test_a_label_far_from_its_sets_energies_is_quarantined(lineage):
    chosen = lineage[lineage["split"] != "reserve"]
    gate = QualityGate()
    labelled = [judge(f, gate, True) for f in load_frames(chosen, keep_results=True)]
    # one label 1.5 eV/atom above the others (energies -0.5 eV/atom, 0.5 meV/atom apart):
    # another reference energy, a wrong SCF state
    wrong = labelled[2]
    attach_results(wrong, wrong.get_potential_energy() + 3.0, wrong.get_forces(), np.zeros(6))
    splits, quarantine, table = assemble(
        lineage, "xtb", "single_point", labelled=labelled, gate=gate
    )
    wrong_id = wrong.info["frame_id"]
    # the frame with a 50 eV/Å force is quarantined by the force bound, as before
    assert {a.info["frame_id"] for a in quarantine} == {wrong_id, frame_id(RUN, 7)}
    problem = table.set_index("frame_id").loc[wrong_id, "label_problem"]
    assert problem.startswith("energy per atom +1.5")
    assert wrong_id not in {a.info["frame_id"] for f in splits.values() for a in f}


def test_energy_outliers_need_both_many_sigmas_and_a_real_distance():
    from mofglass.labels import energy_outliers

    def frame(k, energy_per_atom, symbols="H2"):
        atoms = Atoms(symbols, positions=[[0, 0, 0], [0, 0, 0.74]], cell=[6] * 3, pbc=True)
        attach_results(atoms, 2 * energy_per_atom, np.zeros((2, 3)), np.zeros(6))
        atoms.info["frame_id"] = f"f{k}"
        return atoms

    rng = np.random.default_rng(1)
    cold = [frame(k, -3.0 + 0.005 * rng.standard_normal()) for k in range(20)]
    hot = frame(20, -2.7)  # 60 sigmas of a cold set, but 0.3 eV/atom: MD makes that
    garbage = frame(21, -1.0)  # 2 eV/atom off: a broken label
    other = [frame(30 + k, 5.0, "He2") for k in range(3)]  # another composition, too few
    gate = QualityGate()
    assert set(energy_outliers([*cold, hot, garbage, *other], gate)) == {"f21"}
    # too few frames of a composition: nothing to judge by
    assert energy_outliers([*cold[:3], garbage], gate) == {}
    # against a reference of frames already accepted
    assert set(energy_outliers([garbage], gate, reference=cold)) == {"f21"}


def test_a_dataset_never_mixes_levels(lineage):
    chosen = lineage[lineage["split"] != "reserve"]
    frames = [judge(f, QualityGate(), True) for f in load_frames(chosen)]
    frames[0].info["level_of_theory"] = "pbe"
    with pytest.raises(DatasetError, match="never mixes levels of theory"):
        assemble(lineage, "xtb", "single_point", labelled=frames)
    with pytest.raises(DatasetError, match="labelled at 'pbe', not 'xtb'"):
        check_one_level(frames, "xtb", "training set")


def test_label_requests_are_the_union_of_chosen_frames_once_each(lineage):
    other = lineage.assign(split=lineage["split"][::-1].to_numpy())
    requests = label_requests([lineage, other])
    chosen = set(lineage.loc[lineage["split"] != "reserve", "frame_id"])
    chosen |= set(other.loc[other["split"] != "reserve", "frame_id"])
    assert sorted(requests["frame_id"]) == sorted(chosen)
    assert requests["step"].is_monotonic_increasing


def test_a_changed_trajectory_is_detected(lineage, tmp_path):
    write_frames(tmp_path / "trajectory.extxyz", [aimd_frame(s + 1) for s in range(11)])
    with pytest.raises(DatasetError, match="the trajectory changed after the pool was built"):
        list(load_frames(lineage))
