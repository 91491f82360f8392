"""A published model through mofglass: Castel et al.'s production NequIP (a
nequip-deploy archive of NequIP 0.5.6, read from ../shared), as a model like any other.

Its energy and forces are checked against its own energy (finite differences along a
collective displacement and a strain) and against the symmetries a potential must
have (translation, rotation, permutation); a short NVT run goes through the ASE engine.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase.units import GPa

from mofglass import families
from mofglass.families import publish
from mofglass.md import Protocol, Stage, run_md
from mofglass.models import load_model
from mofglass.structures import load_structure

from .conftest import CASTEL_ARCHIVE

ARCHIVE = CASTEL_ARCHIVE


@pytest.fixture(scope="module")
def castel(tmp_path_factory):
    if not ARCHIVE.is_file():
        pytest.skip(f"no {ARCHIVE}: the published NequIP is read from ../shared")
    if families.python_for("published") is None:
        pytest.skip(families.install_hint("published"))
    out = tmp_path_factory.mktemp("castel")
    block = {"type": "published", "file": str(ARCHIVE), "engine": "ase"}
    publish.publish("castel", block, out, "pbe-d3")
    return load_model(out / "model.json")


def test_the_archive_is_read_with_its_metadata(castel):
    record = json.loads((castel.directory / "family.json").read_text())
    assert castel.type == "published" and set(castel.species) == {"H", "C", "N", "Zn"}
    assert record["nequip_version"] == "0.5.6" and float(record["r_max"]) == 6.0
    assert (castel.directory / "deployed.pth").read_bytes() == ARCHIVE.read_bytes()
    assert len(record["sha256"]) == 64


def test_energy_forces_and_stress_belong_together_and_to_the_symmetries(castel):
    crystal = load_structure("builtin:ZIF-4")
    rng = np.random.default_rng(4)
    base = crystal.copy()
    base.positions += rng.normal(0, 0.05, base.positions.shape)  # off the minimum
    step = rng.normal(size=base.positions.shape)
    step *= 0.01 / np.sqrt((step**2).sum(axis=1)).max()  # at most 0.01 Å per atom
    moved = {"+": base.copy(), "-": base.copy()}
    moved["+"].positions += step
    moved["-"].positions -= step
    h = 0.01
    strained = {}
    for sign in (1, -1):
        frame = base.copy()
        strain = np.eye(3)
        strain[0, 0] += sign * h
        frame.set_cell(base.cell[:] @ strain, scale_atoms=True)
        strained[sign] = frame
    translated = base.copy()
    translated.positions += [1.3, -0.7, 2.1]
    rotation = _rotation(rng)
    rotated = base.copy()
    rotated.set_cell(base.cell[:] @ rotation.T, scale_atoms=True)  # cell and atoms turn
    order = rng.permutation(len(base))
    permuted = base[order]
    frames = [base, moved["+"], moved["-"], strained[1], strained[-1]]
    frames += [translated, rotated, permuted]
    for k, frame in enumerate(frames):
        frame.info["frame_id"] = f"f:{k}"
    got = castel.predict(frames)
    e = [a.get_potential_energy() for a in got]
    f = [a.get_forces() for a in got]
    # forces: the energy change along the displacement is minus the work of the forces
    # (Simpson's rule over the three points); float32 energies of -60 keV resolve ~4 meV
    work = -np.sum((f[1] + 4 * f[0] + f[2]) / 6 * 2 * step)
    assert abs(e[1] - e[2]) > 0.05  # a change well above the float32 resolution
    assert e[1] - e[2] == pytest.approx(work, rel=0.05)
    # stress: (1/V) dE/d(strain_xx), ASE's sign
    derivative = (e[3] - e[4]) / (2 * h) / base.get_volume()
    assert got[0].get_stress()[0] == pytest.approx(derivative, rel=0.05, abs=1e-3 * GPa)
    # symmetries, to float32's precision: the total sums 272 atomic energies of about
    # -220 eV each (its last bit is 4 meV), and a permutation changes their order
    for k in (5, 6, 7):
        assert e[k] == pytest.approx(e[0], abs=0.05), k
    np.testing.assert_allclose(f[5], f[0], atol=2e-3)
    np.testing.assert_allclose(f[6], f[0] @ rotation.T, atol=2e-3)
    np.testing.assert_allclose(f[7], f[0][order], atol=2e-3)


def _rotation(rng) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q *= np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def test_a_short_nvt_of_the_crystal_through_the_ase_engine(castel, tmp_path):
    """0.01 ps at 300 K (2.5 s a step on 2 cores; the closing note of issue 21 has the
    0.1 ps run): the crystal stays a crystal (the watch finds nothing) and near 300 K."""
    from mofglass.md import StabilityWatch

    crystal = load_structure("builtin:ZIF-4")
    stage = Stage(
        "nvt", "nvt", temperature_K=300, steps=20, timestep_fs=0.5, thermo_every=5, dump_every=10
    )
    watch = StabilityWatch(crystal).problems
    result = run_md(crystal, castel, Protocol((stage,), seed=3), tmp_path, watch=watch)
    assert result.verdict == "ok", result.reason
    assert len(result.thermo) == 5 and len(result.frames) >= 2
    assert 100 < result.thermo["temperature_K"].iloc[1:].mean() < 600
