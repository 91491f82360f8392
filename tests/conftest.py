"""Shared fixtures: paths, the tiny test system, CP2K availability."""

from __future__ import annotations

import shutil
from pathlib import Path

import ase.io
import pytest
import yaml
from ase.build import bulk

from mofglass.cp2k.levels import LevelOfTheory
from mofglass.cp2k.run import DEFAULT_COMMAND, Launcher, cp2k_version
from mofglass.models import Model

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TINY_STRUCTURE = REPO / "tests" / "data" / "ZnIm2.extxyz"
CP2K_DATA = Path("/usr/share/cp2k")


def pytest_collection_modifyitems(config, items):
    """Skip tests that need CP2K when the configured command starts none, and say so.

    The command is mofglass's default: MOFGLASS_CP2K_COMMAND where set (a module or
    conda CP2K), else Debian's; a CP2K is there when it answers ``--version``.
    """
    command = DEFAULT_COMMAND.format(ranks=1, omp_threads=1)
    if cp2k_version(command) is not None:
        return
    skip = pytest.mark.skip(
        reason=f"no CP2K answers `{command} --version`: ./install.sh, or set "
        "MOFGLASS_CP2K_COMMAND to the site's launch command"
    )
    for item in items:
        if "cp2k" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def shared() -> Path:
    """../shared reference data (present in CI; absent in a user's clone)."""
    if not SHARED.is_dir():
        pytest.skip(f"reference data {SHARED} not present (only beside the project's checkout)")
    return SHARED


@pytest.fixture
def tiny():
    """The 17-atom Zn(Im)2 fragment in a 12 x 12 x 16 Å box."""
    return ase.io.read(TINY_STRUCTURE)


@pytest.fixture
def xtb() -> LevelOfTheory:
    return LevelOfTheory.from_config("xtb", {"method": "gfn1-xtb"})


@pytest.fixture
def serial() -> Launcher:
    """One MPI rank, one thread: the tests run on 2 cores next to each other."""
    return Launcher(ranks=1, omp_threads=1, timeout_s=300)


PROJECT_FILES = ["workflow", "config", "profiles", "src", "tests/data"]


def copy_project(dst: Path) -> Path:
    """A copy of the workflow and its code in ``dst``, as a clean clone after
    ./install.sh: the model environments (.venvs) are linked, not copied."""
    for name in PROJECT_FILES:
        src, target = REPO / name, dst / name
        if src.is_dir():
            shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, target)
    if (REPO / ".venvs").is_dir():
        (dst / ".venvs").symlink_to(REPO / ".venvs")
    return dst


@pytest.fixture
def project(tmp_path) -> Path:
    """A fresh copy of the workflow, as in a clean clone."""
    return copy_project(tmp_path)


def write_config(project: Path, name: str, base: str, **changes) -> str:
    config = yaml.safe_load((project / "config" / base).read_text())
    for path, value in changes.items():
        node = config
        *parents, leaf = path.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    (project / name).write_text(yaml.safe_dump(config))
    return name


#: Argon in LAMMPS's Lennard-Jones (eV, Å): the MD engine's test system.
ARGON = Model(
    name="lj",
    type="lj",
    species=("Ar",),
    pair_styles=("lj/cut",),
    pair_commands=("pair_style lj/cut 8.5", "pair_coeff * * 0.0104 3.4"),
)


@pytest.fixture
def argon():
    """A 256-atom fcc argon crystal near its 0 K lattice constant."""
    return bulk("Ar", "fcc", a=5.26, cubic=True) * (4, 4, 4)


#: Castel et al.'s published NequIP, where ../shared holds it.
CASTEL_ARCHIVE = REPO.parent / "shared/data/models/castel2024/nequip_l2r6stress0.pth"


@pytest.fixture(scope="session")
def castel_archive(tmp_path_factory) -> Path:
    """The archive of ../shared, or an empty stand-in where ../shared is absent (enough
    for what reads only the config and the DAG)."""
    if CASTEL_ARCHIVE.is_file():
        return CASTEL_ARCHIVE
    stand_in = tmp_path_factory.mktemp("castel") / "nequip_l2r6stress0.pth"
    stand_in.write_bytes(b"")
    return stand_in


@pytest.fixture(autouse=True)
def castel_variable(monkeypatch, castel_archive):
    """config/paper.yaml names the published NequIP by MOFGLASS_CASTEL2024_NEQUIP, a
    variable each site sets: every test sees it set (snakemake subprocesses too)."""
    monkeypatch.setenv("MOFGLASS_CASTEL2024_NEQUIP", str(castel_archive))
