"""The MD engine with the real LAMMPS: protocols as data, checks, the runaway watch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mofglass.lammps import LAMMPSError
from mofglass.md import Protocol, StabilityWatch, Stage, lammps_input, run_md
from mofglass.models import Model
from mofglass.structures import load_structure

from .conftest import ARGON

pytestmark = pytest.mark.lammps


def test_a_ramp_ends_at_its_target_temperature(argon, tmp_path):
    protocol = Protocol(
        (
            Stage("min", "minimize", max_iterations=50),
            Stage(
                "ramp",
                "nvt",
                temperature_K=20,
                temperature_end_K=60,
                duration_ps=20,
                timestep_fs=5,
                thermo_every=20,
                dump_every=400,
            ),
            Stage(
                "hold",
                "nvt",
                temperature_K=60,
                duration_ps=20,
                timestep_fs=5,
                thermo_every=20,
                dump_every=400,
            ),
        ),
        thermostat_damping_fs=500,
        seed=7,
    )
    result = run_md(argon, ARGON, protocol, tmp_path)
    assert result.verdict == "ok"
    thermo = result.thermo
    assert list(thermo["stage"].unique()) == ["min", "ramp", "hold"]
    hold = thermo[thermo["stage"] == "hold"]["temperature_K"]
    noise = 60 * np.sqrt(2 / (3 * len(argon)))  # canonical fluctuation, about 3 K
    assert abs(hold.mean() - 60) < noise
    ramp = thermo[thermo["stage"] == "ramp"]
    early, late = ramp["temperature_K"].iloc[5:25].mean(), ramp["temperature_K"].iloc[-20:].mean()
    assert early < 40 < late  # it did ramp
    assert thermo["time_ps"].iloc[-1] == pytest.approx(40.0 + 0.05, abs=0.06)
    # frames: every dump step once, cells that ASE reads, times from the thermo table
    steps = [f.info["step"] for f in result.frames]
    assert steps == sorted(set(steps)) and len(result.frames) >= 20
    assert result.frames[-1].get_volume() == pytest.approx(argon.get_volume())
    assert (tmp_path / "in.lammps").read_text().count("run ") == 2


def test_npt_relaxes_the_volume(argon, tmp_path):
    squeezed = argon.copy()
    squeezed.set_cell(argon.cell * 0.97, scale_atoms=True)
    protocol = Protocol(
        (
            Stage(
                "npt",
                "npt",
                temperature_K=40,
                pressure_GPa=0.0,
                cell="tri",
                duration_ps=20,
                timestep_fs=5,
                thermo_every=50,
                dump_every=1000,
            ),
        ),
        thermostat_damping_fs=500,
        barostat_damping_fs=2000,
    )
    result = run_md(squeezed, ARGON, protocol, tmp_path)
    late = result.thermo.iloc[len(result.thermo) // 2 :]
    assert late["volume_A3"].mean() > squeezed.get_volume() * 1.03
    assert abs(late["pressure_GPa"].mean()) < 0.05


def test_a_runaway_is_stopped_and_reported(argon, tmp_path):
    protocol = Protocol(
        (
            Stage("cold", "nvt", temperature_K=10, steps=2000, timestep_fs=5, thermo_every=10),
            Stage("never", "nve", steps=100),
        ),
        initial_temperature_K=400,  # far above 3 x 10 K at the first check
    )
    result = run_md(argon, ARGON, protocol, tmp_path)
    assert result.verdict == "failed"
    assert result.reason == "stage cold: temperature above 30 K (runaway)"
    assert result.failed_at_ps < 0.1
    assert set(result.thermo["stage"]) == {"cold"}


def test_missing_pair_style_and_unknown_elements_are_refused(argon, tiny, tmp_path):
    nequip = Model("n", "lammps-nequip", ("Ar",), ("nequip",), ("pair_style nequip",))
    with pytest.raises(LAMMPSError, match="has no pair style nequip"):
        run_md(argon, nequip, Protocol((Stage("s", "nve", steps=1),)), tmp_path)
    with pytest.raises(LAMMPSError, match="the model knows Ar but the structure also has"):
        run_md(tiny, ARGON, Protocol((Stage("s", "nve", steps=1),)), tmp_path)


def _ar_table(model_dir, name, key, rows):
    """An argon model of 601 tabulated rows from 2.5 to 8.5 Å, written into ``model_dir``."""
    (model_dir / f"{name}.table").write_text(f"{key}\nN 601 R 2.5 8.5\n\n{rows}\n")
    coeff = f"pair_coeff 1 1 {{model_dir}}/{name}.table {key} 8.5"
    return Model(
        name, "table", ("Ar",), ("table",), ("pair_style table linear 601", coeff), model_dir
    )


def test_a_lammps_error_in_a_run_is_a_verdict_with_lammps_message(argon, tmp_path):
    # a tabulated LJ that starts at 2.5 Å, and two atoms 2.0 Å apart: LAMMPS stops the
    # run with its own error, which is not one of the usual blow-ups
    r = np.linspace(2.5, 8.5, 601)
    u = 4 * 0.0104 * ((3.4 / r) ** 12 - (3.4 / r) ** 6)
    f = 4 * 0.0104 * (12 * 3.4**12 / r**13 - 6 * 3.4**6 / r**7)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    rows = "\n".join(
        f"{k + 1} {x:.6f} {e:.10e} {g:.10e}"
        for k, (x, e, g) in enumerate(zip(r, u, f, strict=True))
    )
    table = _ar_table(model_dir, "lj", "LJ", rows)
    squeezed = argon.copy()
    squeezed.positions[1] = squeezed.positions[0] + [2.0, 0.0, 0.0]
    stage = Stage("hold", "nvt", temperature_K=20, steps=50, timestep_fs=5)
    result = run_md(squeezed, table, Protocol((stage,), seed=2), tmp_path / "run")
    assert result.verdict == "failed"
    assert result.reason.startswith("stage hold: LAMMPS error: ")
    assert "table inner cutoff" in result.reason  # LAMMPS's own words
    # the same table on the intact crystal runs: the failure is the squeezed pair's
    assert run_md(argon, table, Protocol((stage,), seed=2), tmp_path / "ok").verdict == "ok"
    # through the job: its outputs are written, the verdict says why
    from mofglass.atomicio import write_frames
    from mofglass.jobs.md import md_job
    from mofglass.models import write_model

    write_model(tmp_path / "job/model", table)
    (tmp_path / "job/model/lj.table").write_bytes((model_dir / "lj.table").read_bytes())
    write_frames(tmp_path / "job/s.extxyz", [squeezed])
    files = {k: tmp_path / f"job/{k}" for k in ("thermo.tsv", "t.extxyz", "T.png", "verdict.tsv")}
    md_job(
        str(tmp_path / "job/model/model.json"),
        str(tmp_path / "job/s.extxyz"),
        {"stages": [{"name": "hold", "ensemble": "nvt", "temperature_K": 20, "steps": 50}]},
        {"thermostat_damping_fs": 100.0, "barostat_damping_fs": 1000.0},
        str(tmp_path / "job/md"),
        *(str(f) for f in files.values()),
    )
    verdict = pd.read_csv(files["verdict.tsv"], sep="\t")
    assert verdict["verdict"].iloc[0] == "failed"
    assert "table inner cutoff" in verdict["reason"].iloc[0]
    assert files["T.png"].stat().st_size > 0 and files["t.extxyz"].exists()


def test_a_lammps_error_after_the_first_dump_is_a_verdict_too(argon, tmp_path):
    # a flat table from 2.5 Å and neighbours squeezed to 2.6 Å: the run writes its first
    # dump, then a pair crosses the table's inner cutoff mid-stage and LAMMPS stops with
    # no thermo block finished; the run is a failed verdict, not a crash in the reader
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    rows = "\n".join(f"{k + 1} {2.5 + 0.01 * k:.4f} 0.0 0.0" for k in range(601))
    flat = _ar_table(model_dir, "flat", "FLAT", rows)
    squeezed = argon.copy()
    nearest = min(squeezed.get_distances(0, range(1, len(squeezed)), mic=True))
    squeezed.set_cell(squeezed.cell * 2.6 / nearest, scale_atoms=True)
    stage = Stage("hot", "nvt", temperature_K=300, steps=400, timestep_fs=5, thermo_every=1000,
                  dump_every=1)  # fmt: skip
    result = run_md(squeezed, flat, Protocol((stage,), seed=4), tmp_path / "run")
    assert result.verdict == "failed"
    assert "table inner cutoff" in result.reason
    assert result.frames  # the dumps before the error are kept
    assert (tmp_path / "run" / "dump.lammpstrj").stat().st_size > 0


def test_protocol_stages_are_checked():
    with pytest.raises(ValueError, match="give exactly one of duration_ps and steps"):
        Stage.from_config({"name": "s", "ensemble": "nvt", "temperature_K": 300})
    with pytest.raises(ValueError, match="nvt needs temperature_K"):
        Stage.from_config({"name": "s", "ensemble": "nvt", "steps": 10})
    text = lammps_input(
        Protocol(
            (
                Stage(
                    "r",
                    "npt",
                    temperature_K=300,
                    temperature_end_K=600,
                    pressure_GPa=0.1,
                    cell="tri",
                    steps=10,
                ),
            )
        ),
        ARGON,
        "structure.data",
    )
    assert "fix mofglass_int all npt temp 300 600 0.1 tri 1000.0 1000.0 1.0" in text


def test_segments_keep_the_ramp_and_let_a_watch_stop_the_run(argon, tmp_path, monkeypatch):
    def protocol(segment):
        stage = Stage(
            "ramp",
            "nvt",
            temperature_K=20,
            temperature_end_K=60,
            steps=400,
            timestep_fs=5,
            thermo_every=20,
            dump_every=50,
        )
        return Protocol((stage,), thermostat_damping_fs=500, seed=3, segment_steps=segment)

    whole = run_md(argon, ARGON, protocol(None), tmp_path / "whole")
    parts = run_md(argon, ARGON, protocol(100), tmp_path / "parts")
    assert (
        parts.verdict == "ok" and (tmp_path / "parts/in.lammps").read_text().count("run 100") == 4
    )
    a, b = whole.thermo.drop_duplicates("step"), parts.thermo.drop_duplicates("step")
    np.testing.assert_allclose(a["temperature_K"], b["temperature_K"], rtol=1e-8)

    seen = []

    def watch(frame):
        seen.append(frame.info["timestep"])
        return ["broken linker: C1-N2 2.50 Å > 2.0 Å"] if frame.info["timestep"] >= 150 else []

    # a relative working directory, as Snakemake rules give: the watch still sees frames
    monkeypatch.chdir(tmp_path)
    stopped = run_md(argon, ARGON, protocol(100), "stopped", watch=watch)
    assert stopped.verdict == "failed"
    assert stopped.reason == "stage ramp: broken linker: C1-N2 2.50 Å > 2.0 Å"
    assert stopped.failed_at_ps == pytest.approx(150 * 0.005)
    assert stopped.thermo["step"].max() == 200  # stopped after the segment it was found in
    assert seen == [0, 50, 100, 150]


def test_a_zero_velocity_seed_is_refused():
    with pytest.raises(ValueError, match="velocity seed must be a positive integer"):
        Protocol((Stage("s", "nve", steps=1),), seed=0)


class Killed(Exception):
    """Stands in for a job killed mid-run."""


def test_a_killed_run_resumes_from_its_last_segment(argon, tmp_path):
    stages = (
        Stage(
            "heat",
            "nvt",
            temperature_K=20,
            temperature_end_K=50,
            steps=400,
            timestep_fs=5,
            thermo_every=20,
            dump_every=50,
        ),
        Stage(
            "hold",
            "nvt",
            temperature_K=50,
            steps=400,
            timestep_fs=5,
            thermo_every=20,
            dump_every=50,
        ),
    )
    protocol = Protocol(stages, thermostat_damping_fs=500, seed=3, segment_steps=100)
    reference = run_md(argon, ARGON, protocol, tmp_path / "reference")

    def kill(frame):
        if frame.info["timestep"] >= 600:
            raise Killed
        return []

    with pytest.raises(Killed):
        run_md(argon, ARGON, protocol, tmp_path / "run", watch=kill)
    progress = (tmp_path / "run/progress.json").read_text()
    assert '"stage": 1' in progress  # it had finished the heat stage and a hold segment
    resumed = run_md(argon, ARGON, protocol, tmp_path / "run")
    assert resumed.verdict == "ok"
    a, b = reference.thermo, resumed.thermo
    assert list(a["step"]) == list(b["step"]) and list(a["stage"]) == list(b["stage"])
    np.testing.assert_allclose(a["temperature_K"], b["temperature_K"], rtol=1e-6)
    assert [f.info["step"] for f in resumed.frames] == [f.info["step"] for f in reference.frames]
    np.testing.assert_allclose(
        resumed.frames[-1].positions, reference.frames[-1].positions, atol=1e-6
    )
    # a changed protocol does not resume from the old run's progress
    other = Protocol(stages, thermostat_damping_fs=400, seed=3, segment_steps=100)
    assert run_md(argon, ARGON, other, tmp_path / "run").verdict == "ok"


def test_a_kill_between_restart_and_progress_resumes_exactly(argon, tmp_path, monkeypatch):
    # the job dies after LAMMPS wrote a restart file and before the progress record
    # caught up: the resumed run must still follow the uninterrupted one step for step
    import os

    stage = Stage("hold", "nvt", temperature_K=40, steps=600, timestep_fs=5, dump_every=50)
    protocol = Protocol((stage,), thermostat_damping_fs=500, seed=5, segment_steps=100)
    reference = run_md(argon, ARGON, protocol, tmp_path / "reference")
    replace, records = os.replace, []

    def dying_replace(src, dst, *args, **kwargs):
        if str(dst).endswith("progress.json"):
            records.append(dst)
            if len(records) == 3:  # the third checkpoint: its restart is already written
                raise Killed
        return replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", dying_replace)
    with pytest.raises(Killed):
        run_md(argon, ARGON, protocol, tmp_path / "run")
    monkeypatch.setattr(os, "replace", replace)
    resumed = run_md(argon, ARGON, protocol, tmp_path / "run")
    assert resumed.verdict == "ok"
    assert list(resumed.thermo["step"]) == list(reference.thermo["step"])
    np.testing.assert_allclose(
        resumed.thermo["temperature_K"], reference.thermo["temperature_K"], rtol=1e-6
    )
    np.testing.assert_allclose(
        resumed.frames[-1].positions, reference.frames[-1].positions, atol=1e-6
    )


def test_a_run_of_another_model_does_not_resume(argon, tmp_path, caplog):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "lj.in").write_text("pair_style lj/cut 8.5\npair_coeff * * 0.0104 3.4\n")
    model = Model("lj", "lj", ("Ar",), ("lj/cut",), ("include {model_dir}/lj.in",), model_dir)
    stage = Stage("hold", "nvt", temperature_K=30, steps=400, timestep_fs=5, dump_every=50)
    protocol = Protocol((stage,), thermostat_damping_fs=500, seed=3, segment_steps=100)

    def kill(frame):
        if frame.info["timestep"] >= 200:
            raise Killed
        return []

    with pytest.raises(Killed):
        run_md(argon, model, protocol, tmp_path / "run", watch=kill)
    # the same input names the model's file, whose content changes: a new model
    (model_dir / "lj.in").write_text("pair_style lj/cut 8.5\npair_coeff * * 0.0110 3.4\n")
    resumed = run_md(argon, model, protocol, tmp_path / "run")
    assert "the input or the model changed; starting again" in caplog.text
    fresh = run_md(argon, model, protocol, tmp_path / "fresh")
    np.testing.assert_allclose(
        resumed.thermo["temperature_K"], fresh.thermo["temperature_K"], rtol=1e-6
    )


def test_the_watch_flags_a_broken_linker_and_overlapping_atoms():
    zif4 = load_structure("builtin:ZIF-4")
    watch = StabilityWatch(zif4)
    assert watch.problems(zif4) == []
    broken = zif4.copy()
    c, n = next((a, b) for a, b in watch.bonds if broken[a].symbol == "C")
    broken.positions[c] += (
        1.5
        * (broken.positions[c] - broken.positions[n])
        / np.linalg.norm(broken.positions[c] - broken.positions[n])
    )
    problems = watch.problems(broken)
    assert any(p.startswith("broken linker") for p in problems)
    hydrogens = np.flatnonzero(np.array(zif4.get_chemical_symbols()) == "H")
    assert sorted(watch.hydrogens[:, 1]) == sorted(hydrogens)  # every H, once
    h = int(hydrogens[0])
    carbon = min(
        (a.index for a in zif4 if a.symbol == "C"), key=lambda k: zif4.get_distance(h, k, mic=True)
    )
    assert tuple(watch.hydrogens[watch.hydrogens[:, 1] == h][0]) == (carbon, h)
    hopped = zif4.copy()  # the H moved 2.2 Å from its C: gone to another atom
    away = zif4.get_distance(carbon, h, mic=True, vector=True)
    hopped.positions[h] += (2.2 - np.linalg.norm(away)) * away / np.linalg.norm(away)
    assert watch.problems(hopped) == [f"broken linker: C{carbon}-H{h} 2.20 Å > 2.0 Å"]
    overlap = zif4.copy()
    overlap.positions[1] = overlap.positions[0] + [0.3, 0.0, 0.0]
    assert any(p.startswith("close contact") for p in watch.problems(overlap))
    lonely = zif4.copy()
    zn = [a.index for a in lonely if a.symbol == "Zn"][0]
    lonely.positions[zn] += [0.0, 3.0, 0.0]  # left with one N neighbour
    assert any("Zn coordination outside 2-6" in p for p in watch.problems(lonely))


def test_watch_reads_mof5_chemistry_zn_o_and_carboxylate_bonds():
    """MOF-5 is watched as a Zn-O framework: pulling one carboxylate O off its Zn drops
    that Zn to three O (inside 2-6, fine) and stretching a C-O bond past 2 Å breaks a
    linker; both are seen without any Zn-N assumption."""
    from ase.neighborlist import neighbor_list

    mof5 = load_structure("builtin:MOF-5")
    watch = StabilityWatch(mof5)
    assert watch.chemistry.donor == "O" and watch.coordination == (2, 6)
    assert watch.problems(mof5) == []
    symbols = np.array(mof5.get_chemical_symbols())
    pairs = {tuple(sorted(symbols[b])) for b in watch.bonds}
    assert pairs == {("C", "C"), ("C", "O")}
    # ASE's own neighbour list: heavy-atom C-C and C-O bonds of the linkers
    i, j = neighbor_list("ij", mof5, {("C", "C"): 1.82, ("C", "O"): 1.71})
    assert len(watch.bonds) == int(np.sum(i < j))
    broken = mof5.copy()
    c, o = next(
        sorted((a, b), key=lambda k: symbols[k])  # C before O
        for a, b in watch.bonds
        if {symbols[a], symbols[b]} == {"C", "O"}
    )
    broken.positions[o] += 1.5 * (broken.positions[o] - broken.positions[c])
    assert any(p.startswith("broken linker: ") for p in watch.problems(broken))
    pulled = mof5.copy()  # the same O moved 0.8 Å further from its Zn (2.4 Å cutoff)
    zn = next(k for k in np.flatnonzero(symbols == "Zn") if mof5.get_distance(k, o, mic=True) < 2.2)
    away = mof5.get_distance(zn, o, mic=True, vector=True)
    pulled.positions[o] += 0.8 * away / np.linalg.norm(away)
    assert not any(p.startswith("Zn coordination") for p in watch.problems(pulled))  # 3 in 2-6
    strict = StabilityWatch(mof5, coordination=(4, 4))
    assert any(
        p.startswith("Zn coordination outside 4-4: 1 Zn, e.g. 3") for p in strict.problems(pulled)
    )


def test_watch_of_a_non_framework_checks_close_contacts_only():
    from ase.build import bulk

    argon = bulk("Ar", "fcc", a=5.26, cubic=True) * 2
    watch = StabilityWatch(argon)
    assert watch.chemistry is None and len(watch.bonds) == 0
    squeezed = argon.copy()
    squeezed.positions[1] = squeezed.positions[0] + [0.3, 0.0, 0.0]
    assert watch.problems(squeezed)[0].startswith("close contact")


def test_a_run_on_two_mpi_ranks_follows_the_serial_one(argon, tmp_path):
    """The same protocol in this process and on two MPI ranks (mpiexec, a worker per
    rank, one communicator): LAMMPS reports two processes, and thermo, frames and the
    watch's verdict follow the serial run to round-off."""
    from mofglass.md import use_ranks

    stage = Stage(
        "hold", "nvt", temperature_K=50, steps=400, timestep_fs=5, thermo_every=20, dump_every=100
    )
    protocol = Protocol((stage,), thermostat_damping_fs=500, seed=3, segment_steps=200)
    close = StabilityWatch(argon, close_contact_A=3.55).problems  # trips in the hold
    serial = run_md(argon, ARGON, protocol, tmp_path / "serial")
    serial_watched = run_md(argon, ARGON, protocol, tmp_path / "serial_watched", watch=close)
    use_ranks(2)
    try:
        parallel = run_md(argon, ARGON, protocol, tmp_path / "mpi")
        watched = run_md(argon, ARGON, protocol, tmp_path / "mpi_watched", watch=close)
    finally:
        use_ranks(1)
    assert "on 2 procs" in (tmp_path / "mpi/log.lammps").read_text()
    assert "on 1 procs" in (tmp_path / "serial/log.lammps").read_text()
    assert parallel.verdict == serial.verdict == "ok"
    assert list(parallel.thermo["step"]) == list(serial.thermo["step"])
    for column in ("temperature_K", "potential_energy_eV", "pressure_GPa"):
        np.testing.assert_allclose(parallel.thermo[column], serial.thermo[column], rtol=1e-7)
    assert [f.info["step"] for f in parallel.frames] == [f.info["step"] for f in serial.frames]
    np.testing.assert_allclose(
        parallel.frames[-1].positions, serial.frames[-1].positions, atol=1e-6
    )
    assert serial_watched.verdict == "failed" and "close contact" in serial_watched.reason
    assert (watched.verdict, watched.reason) == (serial_watched.verdict, serial_watched.reason)
    assert watched.failed_at_ps == pytest.approx(serial_watched.failed_at_ps)


def test_md_settings_carry_the_structures_chemistry_into_the_watch(tiny, tmp_path):
    from mofglass.chemistry import Chemistry, derive
    from mofglass.md import RunSpec
    from mofglass.md.protocol import BAROSTAT_DAMPING_FS

    # an override the watch must see: the chemistry comes from the file, not the frame
    found = derive(tiny, {"coordination_range": [1, 3]})
    found.write(tmp_path / "c.json")
    watch = {"close_contact_A": 0.7, "linker_bond_max_A": 2.0, "max_temperature_factor": 3.0}
    params = {"thermostat_damping_fs": 50.0, "watch": watch}
    settings = RunSpec.read(params, str(tmp_path / "c.json"))
    assert settings.damping == {
        "thermostat_damping_fs": 50.0,
        "barostat_damping_fs": BAROSTAT_DAMPING_FS,
    }
    assert Chemistry.from_dict(settings.watch["chemistry"]) == found
    assert StabilityWatch.from_config(tiny, settings.watch).coordination == (1, 3)
    assert "chemistry" not in watch  # the rule's block is not changed
    # a run that is not watched stays unwatched, whatever the chemistry
    assert RunSpec.read({"watch": None}, str(tmp_path / "c.json")).watch is None


def test_a_rewritten_output_is_joined_once_even_after_an_interrupted_join(tmp_path):
    from mofglass.md.restart import KEPT, join_kept, keep_before_resume

    hills = str(tmp_path / "out.hills")
    (tmp_path / "out.hills").write_bytes(b"h1\nh2\nh3-after-the-restart-point\n")
    keep_before_resume([hills], {hills: 6})  # the restart point: two hills written
    assert (tmp_path / f"out.hills{KEPT}").read_bytes() == b"h1\nh2\n"
    (tmp_path / "out.hills").write_bytes(b"h3\nh4\n")  # what the resumed run writes
    join_kept([hills])
    assert (tmp_path / "out.hills").read_bytes() == b"h1\nh2\nh3\nh4\n"
    assert not (tmp_path / f"out.hills{KEPT}").exists()
    # a kill after the joined file replaced the old one, before the kept part was removed
    (tmp_path / f"out.hills{KEPT}").write_bytes(b"h1\nh2\n")
    join_kept([hills])
    assert (tmp_path / "out.hills").read_bytes() == b"h1\nh2\nh3\nh4\n"
