"""Active learning, the parts without CP2K or LAMMPS: perturbations, per-run CBAD picks,
the settings each job sees, the stop rule and config refusals. The loop itself runs
with real CP2K and LAMMPS in test_active_learning_loop.py."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from mofglass import active_learning as al
from mofglass.cbad import Coverage, Resolution
from mofglass.config import ConfigError, validate_config
from mofglass.md import recipes

from .conftest import REPO

SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())


def loop_block(**changes) -> dict:
    """A validated active_learning block (schema defaults) with ``changes``."""
    config = yaml.safe_load((REPO / "config/tiny.yaml").read_text())
    config["structures"]["ZnIm2"]["source"] = str(REPO / "tests/data/ZnIm2.extxyz")
    config["models"]["snap"]["active_learning"] = changes
    if "metadynamics" in changes:  # biased runs: their bias, on the loop's structure
        config["enhanced_sampling"] = {"biases": {changes["metadynamics"]["bias"]: BIAS}}
    return validate_config(config, SCHEMA)["models"]["snap"]["active_learning"]


def record(k, temperature=1000.0, new_bins=0, labelled=2, fresh=50.0) -> dict:
    return {
        "iteration": k,
        "temperature_K": temperature,
        "new_bins_explored": new_bins,
        "frames_labelled": labelled,
        "fresh_forces_rmse_meV_per_A": fresh,
    }


def test_perturbations_strain_the_cell_and_move_every_atom(tiny):
    frames = al.perturbations(tiny, 30, position_sigma_A=0.05, cell_strain=0.02, seed=4)
    assert len(frames) == 30
    again = al.perturbations(tiny, 30, position_sigma_A=0.05, cell_strain=0.02, seed=4)
    np.testing.assert_array_equal(frames[7].positions, again[7].positions)
    other = al.perturbations(tiny, 1, position_sigma_A=0.05, cell_strain=0.02, seed=5)
    assert not np.allclose(other[0].positions, frames[0].positions)
    strains = []
    for frame in frames:
        # the cell is cell0 (1 + e) with e symmetric, |e_ij| <= 0.02
        e = np.linalg.solve(np.asarray(tiny.cell), np.asarray(frame.cell)) - np.eye(3)
        np.testing.assert_allclose(e, e.T, atol=1e-12)
        strains.append(e)
        assert np.abs(e).max() <= 0.02 + 1e-12
        affine = tiny.get_scaled_positions(wrap=False) @ np.asarray(frame.cell)
        moves = frame.positions - affine
        assert np.all(np.abs(moves).max(axis=1) > 0)
    assert np.abs(np.array(strains)).max() > 0.015  # the range is used
    moves = np.concatenate(
        [f.positions - tiny.get_scaled_positions(wrap=False) @ np.asarray(f.cell) for f in frames]
    )
    assert moves.std() == pytest.approx(0.05, rel=0.1)


def test_the_schedule_rises_then_stays_at_its_last_temperature():
    block = loop_block(temperatures_K=[100, 200, 300], max_iterations=5)
    assert [al.temperature_at(block, k) for k in range(1, 6)] == [100, 200, 300, 300, 300]
    assert al.runs_at(block, 0) == 1 and al.runs_at(block, 1) == block["runs"]


def test_jobs_see_only_what_changes_their_result():
    short = loop_block(temperatures_K=[100, 200], max_iterations=2)
    longer = loop_block(temperatures_K=[100, 200, 300, 400], max_iterations=4)
    for part in ("explore", "select"):
        for k in (1, 2):
            assert al.job_settings(short, k, part) == al.job_settings(longer, k, part)
    # extending the loop changes only the last iteration's training (it decides the stop)
    # and, through the top temperature, the stop rule that every training applies
    assert al.job_settings(short, 2, "train")["last"]
    assert not al.job_settings(longer, 2, "train")["last"]
    assert al.job_settings(short, 1, "explore")["temperature_K"] == 100
    assert "perturb" in al.job_settings(short, 0, "select")
    assert "perturb" not in al.job_settings(short, 1, "select")


def test_at_most_cap_frames_per_run_the_most_novel_first():
    coverage = Coverage(Resolution())
    coverage.seed(np.array([1, 2, 3]))
    run_a = [np.array([1, 2]), np.array([1, 4]), np.array([4, 5, 6]), np.array([7])]
    run_b = [np.array([4, 5]), np.array([1, 2, 3])]
    picks = al.pick_per_run(coverage, [run_a, run_b], cap=2)
    assert picks[0] == [(2, [4, 5, 6]), (3, [7])]
    assert picks[1] == []  # nothing new left in run b
    assert coverage.seen == {1, 2, 3, 4, 5, 6, 7}
    coverage = Coverage(Resolution())
    assert [len(p) for p in al.pick_per_run(coverage, [run_a], cap=1)] == [1]
    assert al.new_bins(coverage, run_a) == len({1, 2, 4, 5, 6, 7} - coverage.seen)
    # a cap per run: the second run (a biased one) may give more
    coverage = Coverage(Resolution())
    run_c = [np.array([10]), np.array([11]), np.array([12])]
    assert [len(p) for p in al.pick_per_run(coverage, [run_a, run_c], cap=[1, 3])] == [1, 3]
    window = al.pick_by_committee([np.array([0.2, 0.3]), np.array([0.2, 0.3])], 0.1, 0.5, [1, 2])
    assert window == ([[(1, [])], [(1, []), (0, [])]], 0)


def test_stop_rule():
    settings = al.job_settings(
        loop_block(
            temperatures_K=[500, 1000],
            max_iterations=6,
            stop={"max_new_bins": 3, "fresh_forces_rmse_meV_per_A": 100.0, "patience": 2},
        ),
        3,
        "train",
    )
    start = [record(0, float("nan"), labelled=10, fresh=float("nan"))]

    def stops(*records):
        return al.stop_decision(start + list(records), settings)

    assert stops(record(1, 500, fresh=60), record(2, 1000, fresh=40)) == (
        True,
        "converged at 1000 K: 0 new CBAD bins (at most 3) and fresh-frame force RMSE "
        "60, 40 meV/Å under 100 in the last 2 labelling iteration(s)",
    )
    assert not stops(record(1, 500, fresh=60), record(2, 1000, new_bins=4, fresh=40))[0]
    assert not stops(record(1, 500, fresh=160), record(2, 1000, fresh=40))[0]  # patience
    assert not stops(record(1, 1000, fresh=40))[0]  # one error is not two
    assert not stops(record(1, 1000, fresh=60), record(2, 500, fresh=40))[0]  # not at the top
    # an iteration without fresh frames (nothing new) does not count towards the patience
    assert stops(record(1, 1000, fresh=60), record(2, 1000, fresh=40), record(3, 1000, 0, 0))[0]
    assert not stops(record(1, 1000, fresh=float("nan")), record(2, 1000, fresh=40))[0]
    anywhere = dict(settings, stop={**settings["stop"], "at_top_temperature": False})
    assert al.stop_decision(start + [record(1, 500, fresh=60), record(2, 500, fresh=40)], anywhere)[
        0
    ]
    last = dict(settings, last=True)
    assert al.stop_decision(start + [record(1, 500, new_bins=99, fresh=999)], last) == (
        True,
        "iteration 1 is the last (max_iterations)",
    )


@pytest.mark.parametrize(
    "change, message",
    [
        ({"start": "dataset", "drop_dataset": True}, "start: dataset needs models.snap.dataset"),
        ({"start": "perturb", "drop_dataset": True}, "active_learning.level_of_theory: needed"),
        ({"level_of_theory": "dft"}, "'dft' is not defined under levels_of_theory"),
        ({"structure": "ZIF-8"}, "active_learning.structure: no structure 'ZIF-8'"),
        (
            {"start": "perturb", "perturb": {"max_frames": 4, "test": 2, "validation": 2}},
            r"test \+ validation must leave training frames",
        ),
    ],
)
def test_config_refuses_a_loop_it_cannot_run(change, message):
    config = yaml.safe_load((REPO / "config/tiny.yaml").read_text())
    config["structures"]["ZnIm2"]["source"] = str(REPO / "tests/data/ZnIm2.extxyz")
    change = copy.deepcopy(change)
    if change.pop("drop_dataset", False):
        del config["models"]["snap"]["dataset"]
    config["models"]["snap"]["active_learning"] = change
    with pytest.raises(ConfigError, match=message):
        validate_config(config, SCHEMA)


def test_config_takes_npt_exploration_with_a_family_model():
    # the ASE engine runs npt at constant pressure (ASE's MTK barostat)
    config = yaml.safe_load((REPO / "config/tiny.yaml").read_text())
    config["structures"]["ZnIm2"]["source"] = str(REPO / "tests/data/ZnIm2.extxyz")
    config["models"]["snap"] = {
        "type": "mace",
        "dataset": "fh",
        "active_learning": {"ensemble": "npt"},
    }
    validate_config(copy.deepcopy(config), SCHEMA)  # accepted: no ConfigError
    filled = validate_config(copy.deepcopy(config), SCHEMA)["models"]["snap"]["active_learning"]
    assert (filled["pressure_GPa"], filled["cell"]) == (0.0, "iso")  # the schema's defaults
    # what the ASE engine cannot run is refused for the same model
    config["md"] = {"check": {"stages": [{"name": "m", "ensemble": "minimize", "steps": 5}]}}
    with pytest.raises(ConfigError, match="the ASE engine of mace models runs nvt, nve"):
        validate_config(config, SCHEMA)


def test_exploration_offers_no_frame_after_the_failure(tiny):
    frames = []
    for k in range(5):
        frame = tiny.copy()
        frame.info["time_ps"] = 0.1 * k
        frames.append(frame)
    kept = al.before_failure(frames, 0.2)
    assert [f.info["time_ps"] for f in kept] == pytest.approx([0.0, 0.1, 0.2])
    assert len(al.before_failure(frames, float("nan"))) == 5
    assert (
        recipes.exploration(
            {
                "ensemble": "nvt",
                "pressure_GPa": 0.0,
                "cell": "iso",
                "steps": 2000,
                "timestep_fs": 0.5,
                "sample_every": 20,
                "max_temperature_factor": 3.0,
            },
            1500.0,
            1,
        ).segment_steps
        == recipes.EXPLORE_SEGMENT_STEPS
    )


def test_meltquench_iterations_run_the_production_protocol():
    loop = loop_block(
        temperatures_K=[1000],
        max_iterations=4,
        runs=5,
        max_frames_per_run=3,
        meltquench={"from_iteration": 3, "runs": 2},
    )
    melt = {"max_temperature_K": 1400.0, "plateau_ps": 1.0}
    assert [al.explores_meltquench(loop, k) for k in range(5)] == [False] * 3 + [True] * 2
    assert [al.runs_at(loop, k) for k in range(5)] == [1, 5, 5, 2, 2]
    assert al.max_requests(loop, 3) == 2 * (3 + 1)  # CBAD picks + the failing frame
    before = al.job_settings(loop, 2, "explore", melt)
    after = al.job_settings(loop, 3, "explore", melt)
    assert "meltquench" not in before and before["temperature_K"] == 1000.0
    assert after["meltquench"] == melt and after["temperature_K"] == 1400.0
    # a change of the melt-quench reruns only the iterations that run it
    assert al.job_settings(loop, 2, "explore", {**melt, "plateau_ps": 2.0}) == before
    with pytest.raises(ValueError, match="meltquench block"):
        al.job_settings(loop, 3, "explore")
    assert not al.explores_meltquench(loop_block(), 7)


def barriers(*values, error=0.01) -> list[dict]:
    """Records of iterations 0, 1, ... whose models give these barriers (eV) ± error."""
    return [{**record(k), "barrier_eV": b, "barrier_err_eV": error} for k, b in enumerate(values)]


def test_a_barrier_still_rising_between_iterations_has_not_settled():
    """MOF-5's barrier as the loop's models gave it last time (0.22 eV, still rising):
    each step far beyond two combined errors of 0.01 eV."""
    settled, said = al.barrier_settled(barriers(0.18, 0.22, 0.27, 0.31), patience=2)
    assert not settled
    assert said == "the barrier moved +0.040 eV from iteration 2 to 3 (more than 0.028)"


def test_a_barrier_that_stopped_moving_within_its_error_has_settled():
    """A jump while the model learns the turned ring, then three values within 2 sigma
    of each other: settled at the last value; with a stricter rule, not."""
    history = barriers(0.30, 0.45, 0.46, 0.455)
    settled, said = al.barrier_settled(history, patience=2)
    assert settled
    assert said == (
        "the barrier settled at 0.455 ± 0.010 eV (each of its last 2 changes within "
        "2 standard errors)"
    )
    assert not al.barrier_settled(history, patience=3)[0]  # the jump is among the last 3
    assert not al.barrier_settled(history, patience=2, sigmas=0.5)[0]  # 0.01 > 0.5 x 0.014


def test_iterations_without_a_barrier_are_passed_over_and_too_few_do_not_settle():
    history = barriers(0.45, float("nan"), 0.46)
    history[1]["barrier_err_eV"] = float("nan")
    assert al.barrier_settled(history, patience=1) == (
        True,
        "the barrier settled at 0.460 ± 0.010 eV (each of its last 1 changes within "
        "2 standard errors)",
    )
    assert al.barrier_settled(history, patience=2) == (False, "2 barrier(s) so far, 3 needed")
    assert not al.barrier_settled([record(0), record(1)], patience=1)[0]  # none at all


def test_a_biased_loop_stops_only_when_its_barrier_has_settled_too():
    """The coverage and fresh-error rule holds in both histories; with ``stop.barrier``,
    the loop goes on while the barrier moves, and says why it stopped when it settles."""
    settings = al.job_settings(
        loop_block(
            temperatures_K=[500],
            max_iterations=8,
            stop={"fresh_forces_rmse_meV_per_A": 100.0, "barrier": {"patience": 2}},
            metadynamics={"bias": "b", "from_iteration": 1},
        ),
        3,
        "train",
    )
    assert settings["stop"]["barrier"]["patience"] == 2
    moving = barriers(0.18, 0.22, 0.27, 0.31)
    assert al.stop_decision(moving, settings) == (False, "")
    stop, reason = al.stop_decision(barriers(0.30, 0.45, 0.46, 0.455), settings)
    assert stop and reason.endswith(
        "; the barrier settled at 0.455 ± 0.010 eV (each of "
        "its last 2 changes within 2 standard errors)"
    )
    plain = dict(settings, stop={**settings["stop"], "barrier": None})
    assert al.stop_decision(moving, plain)[0]  # without the condition, coverage suffices


def test_the_loop_stops_once_the_model_survives_its_own_meltquench():
    loop = loop_block(
        temperatures_K=[1000],
        max_iterations=8,
        meltquench={"from_iteration": 2, "runs": 2},
        stop={"meltquench_survived": 2, "fresh_forces_rmse_meV_per_A": 1.0},
    )
    settings = al.job_settings(loop, 4, "train")

    def history(*failed):
        rows = [record(0), {**record(1, new_bins=9), "md_runs": 4, "md_runs_failed": 0}]
        for k, f in enumerate(failed, start=2):
            rows.append({**record(k, new_bins=9), "md_runs": 2, "md_runs_failed": f})
        return rows

    assert al.stop_decision(history(1, 0), settings) == (False, "")
    stop, reason = al.stop_decision(history(1, 0, 0), settings)
    assert stop and "survived its own melt-quench" in reason
    # constant-T iterations never count, however well they went
    assert not al.stop_decision(history(0), settings)[0]


def test_a_meltquench_exploration_runs_the_protocol_from_the_crystal(tiny, tmp_path):
    """explore_job with the real LAMMPS: a melt-quench iteration runs the configured
    stages from the undisplaced structure and offers frames up to the watch's failure
    (a soft Lennard-Jones 'model' lets the fragment's linkers fall apart)."""
    from mofglass.atomicio import read_frames, read_table, write_frames
    from mofglass.jobs.active_learning import explore_job
    from mofglass.models import Model, write_model

    model_dir = tmp_path / "model"
    species = ("C", "H", "N", "Zn")
    lj = ("pair_style lj/cut 3.0", "pair_coeff * * 0.00001 0.5")  # atoms fly free
    write_model(model_dir, Model("lj", "snap", species, ("lj/cut",), lj))
    (tmp_path / "state.json").write_text(f'{{"active": true, "model_dir": "{model_dir}"}}')
    write_frames(tmp_path / "start.extxyz", [tiny])
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    melt = validate_config(config, SCHEMA)["meltquench"]
    melt.update(
        equilibration_ps=0.05,
        plateau_ps=0.05,
        final_ps=0.05,
        segment_ps=0.05,
        dump_every=10,
        thermo_every=10,
    )
    loop = loop_block(temperatures_K=[600], meltquench={"from_iteration": 2, "runs": 1})
    settings = al.job_settings(loop, 2, "explore", melt)
    frames = explore_job(
        "m",
        settings,
        2,
        0,
        str(tmp_path / "start.extxyz"),
        str(tmp_path / "state.json"),
        {"watch": melt["watch"]},
        str(tmp_path / "md"),
        {"frames": str(tmp_path / "f.extxyz"), "summary": str(tmp_path / "s.csv")},
    )
    row = read_table(tmp_path / "s.csv").iloc[0]
    assert row["temperature_K"] == melt["max_temperature_K"]
    assert row["verdict"] == "failed" and "linker" in row["reason"]
    assert frames and max(f.info["time_fs"] for f in frames) <= 1000 * row["failed_at_ps"]
    assert read_frames(tmp_path / "f.extxyz")[0].info["run"] == "m/iter002/run000"
    # the protocol's stages, from the structure itself (no displacement)
    thermo = (tmp_path / "md" / "in.lammps").read_text()
    assert f"{melt['max_temperature_K']:g}" in thermo
    start = open(tmp_path / "md" / "structure.data").read()
    assert f"{tiny.positions[0, 0]:.6f}"[:6] in start


def test_the_frame_where_a_run_failed_is_labelled_whatever_cbad_says(tiny, tmp_path):
    from mofglass.atomicio import read_frames, write_frames
    from mofglass.jobs.active_learning import select_job

    files = []
    for run, failed in (("a", True), ("b", False)):
        frames = []
        for step in range(3):  # three identical frames: only the first is new to CBAD
            frame = tiny.copy()
            frame.info.update(run=run, step=step, frame_id=f"{run}:{step}", time_fs=step)
            frames.append(frame)
        if failed:
            frames[-1].info["failure"] = "broken linker"
        files.append(str(tmp_path / f"{run}.extxyz"))
        write_frames(files[-1], frames)
    write_frames(tmp_path / "start.extxyz", [tiny])
    settings = al.job_settings(loop_block(max_frames_per_run=1), 1, "select")
    out = {
        n: str(tmp_path / f"{n}.{x}")
        for n, x in (("requests", "extxyz"), ("selection", "csv"), ("coverage", "json"))
    }
    select_job("m", settings, 1, str(tmp_path / "start.extxyz"), None, None, files, out)
    picked = [a.info["frame_id"] for a in read_frames(out["requests"])]
    assert picked == ["a:0", "a:2"]  # run b's frames bring no new bin after run a's


def test_selection_by_committee_keeps_the_trust_window_least_certain_first():
    sigmas = [
        np.array([0.01, 0.2, 0.5, 0.12, 0.3]),  # one known, three in the window, one broken
        np.array([0.02, 0.04]),  # all known: nothing to learn here
        np.array([0.9, 0.1]),
    ]
    picks, discarded = al.pick_by_committee(sigmas, low=0.05, high=0.35, cap=2)
    assert [[position for position, _ in run] for run in picks] == [[4, 1], [], [1]]
    assert discarded == 2  # 0.5 and 0.9: beyond the window, broken
    assert all(bins == [] for run in picks for _, bins in run)


def test_selection_by_committee_needs_a_committee():
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["models"]["snap_al"]["active_learning"]["selector"] = "committee"
    with pytest.raises(ConfigError, match="selector: committee needs a committee"):
        validate_config(config, REPO / "workflow/schemas/config.schema.yaml")
    config["models"]["snap_al"]["committee"] = {"members": 3}
    validate_config(config, REPO / "workflow/schemas/config.schema.yaml")
    loop = config["models"]["snap_al"]["active_learning"]
    settings = al.job_settings(
        {**loop, "trust": config["models"]["snap_al"]["committee"]["trust"]}, 3, "select"
    )
    assert settings["selector"] == "committee"
    assert settings["trust"] == {"low_eV_per_A": 0.05, "high_eV_per_A": 0.35}


@pytest.mark.lammps
def test_a_cold_start_holds_potential_energy_in_proportion_to_its_temperature(argon):
    """Displaced starts are scaled as thermal amplitudes below 300 K: in the harmonic
    regime of an LJ crystal the potential energy a start holds goes as σ², so a 100 K
    start holds a third of a 300 K one's, and 600 K the same as 300 K (never larger
    than asked)."""
    from .conftest import ARGON

    base = ARGON.predict([argon])[0].get_potential_energy()

    def held(temperature_k: float) -> float:
        sigma = al.start_displacement(0.01, temperature_k)
        excess = [
            ARGON.predict([al.displaced(argon, sigma, [seed])])[0].get_potential_energy() - base
            for seed in range(8)
        ]
        return float(np.mean(excess))

    cold, room, hot = held(100.0), held(300.0), held(600.0)
    assert cold / room == pytest.approx(1 / 3, rel=0.05)
    assert hot == pytest.approx(room, rel=1e-12)


BIAS = {
    "structure": None,
    "cvs": [{"name": "r", "type": "distance", "atoms": [0, 1]}],
    "temperature_K": 300.0,
    "timestep_fs": 1.0,
    "langevin_damping_fs": 100.0,
    "thermo_every": 100,
    "dump_every": 5000,
    "steps": 100_000,
    "metad": {"cvs": ["r"], "sigma": [0.1], "height_eV": 0.01, "bias_factor": 10, "pace": 100,
              "grid_min": [1.0], "grid_max": [3.0], "grid_spacing": [0.05]},
    "barrier": {"cv": "r", "basin": [1.2, 1.6], "top": [1.8, 2.0]},
}  # fmt: skip


def test_biased_runs_follow_the_plain_ones_from_their_iteration():
    meta = {"bias": "b", "from_iteration": 2, "runs": 3, "steps": 4000, "sample_every": 200}
    loop = loop_block(runs=4, metadynamics=meta, displacement_A=0.03)
    assert [al.runs_at(loop, k) for k in range(4)] == [1, 4, 7, 7]
    assert [al.is_biased(loop, 2, r) for r in range(8)] == [False] * 4 + [True] * 3 + [False]
    assert not any(al.is_biased(loop, 1, r) for r in range(4))
    assert al.max_requests(loop, 2) == 7 * (loop["max_frames_per_run"] + 1)
    assert "caps" not in al.job_settings(loop, 1, "select")  # no biased runs yet
    assert al.job_settings(loop, 2, "select")["caps"] == [loop["max_frames_per_run"]] * 7
    own = loop_block(runs=4, metadynamics={**meta, "max_frames_per_run": 5})
    assert al.job_settings(own, 2, "select")["caps"] == [own["max_frames_per_run"]] * 4 + [5] * 3
    assert al.max_requests(own, 2) == 4 * (own["max_frames_per_run"] + 1) + 3 * 6
    biased = al.job_settings(loop, 2, "explore", run=5, biases={"b": BIAS})
    block = biased["metadynamics"]
    assert biased["bias"] == "b" and biased["temperature_K"] == 300.0
    assert (block["steps"], block["dump_every"], block["thermo_every"]) == (4000, 200, 200)
    assert block["metad"] == BIAS["metad"] and biased["displacement_A"] == 0.03
    # a plain run's settings do not change when the loop gains biased runs
    plain = al.job_settings(loop_block(runs=4, displacement_A=0.03), 2, "explore")
    assert al.job_settings(loop, 2, "explore", run=3, biases={"b": BIAS}) == plain
    with pytest.raises(ValueError, match="under bias 'b', not given"):
        al.job_settings(loop, 2, "explore", run=5, biases={})


def test_the_barrier_of_a_model_is_the_mean_of_its_runs_with_both_errors():
    rows = [
        {"barrier_eV": 0.30, "barrier_err_eV": 0.02},
        {"barrier_eV": 0.34, "barrier_err_eV": 0.01},
        {"barrier_eV": float("nan"), "barrier_err_eV": float("nan")},  # a run that failed
    ]
    value, error = al.barrier_of_runs(rows)
    spread = np.std([0.30, 0.34], ddof=1) / np.sqrt(2)  # 0.02
    own = np.sqrt(0.02**2 + 0.01**2) / 2
    assert value == pytest.approx(0.32)
    assert error == pytest.approx(np.sqrt(spread**2 + own**2))
    assert al.barrier_of_runs(rows[:1]) == pytest.approx((0.30, 0.02))
    assert all(np.isnan(al.barrier_of_runs(rows[2:])))


def test_the_barrier_of_an_iteration_is_read_from_its_runs_tables(tmp_path):
    """Plain runs' rows have empty barrier cells once written and read back (CSV)."""
    import pandas as pd

    from mofglass.atomicio import read_table, write_table

    nan = float("nan")
    plain = {"run": 0, "bias": "", "barrier_eV": nan, "barrier_err_eV": nan}
    biased = {"run": 1, "bias": "b", "barrier_eV": 0.31, "barrier_err_eV": 0.02}
    write_table(tmp_path / "a.csv", pd.DataFrame([plain, biased]))
    rows = read_table(tmp_path / "a.csv").to_dict("records")
    assert rows[0]["barrier_eV"] == ""  # as the train job sees them
    assert al.barrier_of_runs(rows) == pytest.approx((0.31, 0.02))


@pytest.mark.parametrize(
    "meta, stop, message",
    [
        ({"bias": "nope", "from_iteration": 1}, {}, r"metadynamics.bias: no bias 'nope'"),
        ({"bias": "b", "from_iteration": 1, "steps": 100, "sample_every": 500}, {},
         "sample_every: 500 is more than the run's steps"),
        ({}, {"barrier": {"patience": 1}}, "stop.barrier: the barrier comes from biased runs"),
        ({"bias": "other", "from_iteration": 1}, {}, "'other' is on 'ZIF-4', the loop explores"),
        ({"bias": "b", "from_iteration": 1, "metad": {"cvs": ["q"]}}, {},
         r"metadynamics \(bias 'b' with its metad\): no CV 'q'"),
    ],
)  # fmt: skip
def test_config_refuses_a_biased_loop_it_cannot_run(meta, stop, message):
    config = yaml.safe_load((REPO / "config/tiny.yaml").read_text())
    config["structures"]["ZnIm2"]["source"] = str(REPO / "tests/data/ZnIm2.extxyz")
    config["structures"]["ZIF-4"] = {"source": "builtin:ZIF-4"}
    config["enhanced_sampling"] = {"biases": {"b": BIAS, "other": {**BIAS, "structure": "ZIF-4"}}}
    config["models"]["snap"]["active_learning"] = {"metadynamics": meta, "stop": stop}
    with pytest.raises(ConfigError, match=message):
        validate_config(config, SCHEMA)
    config["models"]["snap"]["active_learning"] = {
        "metadynamics": {"bias": "b", "from_iteration": 1},
        "stop": {"barrier": {"patience": 1}},
    }
    validate_config(config, SCHEMA)  # the same loop on a bias of its own structure


def _frames(ids, quarantine_reason=None):
    from ase import Atoms

    out = []
    for k in ids:
        atoms = Atoms("H2", positions=[[0, 0, 0], [0, 0, 0.7]])
        atoms.info["frame_id"] = k
        if quarantine_reason:
            atoms.info["quarantine_reason"] = quarantine_reason
        out.append(atoms)
    return out


def _selection(ids, selected):
    import pandas as pd

    return pd.DataFrame({"frame_id": ids, "selected": [k in selected for k in ids]})


def test_the_labelled_set_grows_split_at_the_start_then_into_train():
    ids = [f"f{k}" for k in range(11)]
    fresh, bad = _frames(ids[:9]), _frames(["f9"], "force above the gate")
    settings = {"start": "perturb", "perturb": {"test": 2, "validation": 3}, "seed": 3}
    start = al.grow(None, fresh, bad, _selection(ids, ids[:10]), "m", "lvl", settings, 0)
    sizes = {split: len(frames) for split, frames in start.splits.items()}
    assert sizes == {"train": 4, "validation": 3, "test": 2}
    placed = sorted(a.info["frame_id"] for a in start.frames)
    assert placed == sorted(ids[:9])  # each fresh frame in exactly one split
    row = start.lineage.set_index("frame_id")
    for split, frames in start.splits.items():
        assert all(row.loc[a.info["frame_id"], "split"] == split for a in frames)
    assert row.loc["f9", "split"] == "quarantine" and row.loc["f10", "split"] == "reserve"
    assert row.loc["f9", "label_problem"] == "force above the gate"
    assert list(row["label_status"]) == ["labelled"] * 9 + ["quarantined", ""]
    assert list(row["label_level"]) == ["lvl"] * 10 + [""]
    assert start.quarantine == bad
    # iteration 1: the fresh frames join the training split only; the rest is kept
    more = ["g0", "g1", "g2"]
    grown = al.grow(
        start, _frames(more[:2]), [], _selection(more, more[:2]), "m", "lvl", settings, 1
    )
    assert [a.info["frame_id"] for a in grown.splits["train"]][-2:] == ["g0", "g1"]
    assert len(grown.splits["train"]) == 6
    assert grown.splits["test"] is start.splits["test"]
    assert len(grown.lineage) == 14 and list(grown.lineage["split"])[-3:] == [
        "train",
        "train",
        "reserve",
    ]
    assert grown.quarantine == bad


def test_an_iteration_after_the_stop_runs_nothing_and_keeps_the_model():
    record = dict.fromkeys(al.RECORD_COLUMNS, 1.0)
    state = {"active": False, "stopped_at": 2, "model_iteration": 2, "history": [record] * 3}
    new, after = al.after_stop(state, 3)
    assert after["status"] == "not run (stopped)" and after["model_iteration"] == 2
    assert all(after[c] == 0 for c in (*al.COUNT_COLUMNS, *al.COST_COLUMNS))
    assert new["iteration"] == 3 and len(new["history"]) == 4 and not new["active"]
    assert state["history"] == [record] * 3  # the state it was given is unchanged
