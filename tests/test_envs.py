"""The conda route: every conda package a per-rule environment pins is a version that
conda-forge has built (tests/data/conda_forge_builds.yaml, read from the feedstocks),
and the environments leave mofglass to the checkout."""

from __future__ import annotations

import datetime

import pytest
import yaml

from .conftest import REPO

ENVS = sorted((REPO / "workflow/envs").glob("*.yaml"))
BUILDS = yaml.safe_load((REPO / "tests/data/conda_forge_builds.yaml").read_text())


def conda_pins(path):
    """(package, version) of every conda (not pip) dependency of an environment file."""
    for entry in yaml.safe_load(path.read_text())["dependencies"]:
        if isinstance(entry, str):
            name, _, rest = entry.partition(" ")
            version = rest.strip().lstrip("=").split("=")[0]
            yield name, version


def test_the_list_of_builds_was_checked_within_a_year():
    checked = BUILDS["checked"]
    assert isinstance(checked, datetime.date)
    assert (datetime.date.today() - checked).days < 366, "recheck the feedstocks"


@pytest.mark.parametrize("path", ENVS, ids=lambda p: p.name)
def test_every_conda_pin_is_a_version_conda_forge_built(path):
    pins = list(conda_pins(path))
    assert pins, f"{path.name} pins no conda package"
    for name, version in pins:
        assert version, f"{path.name}: {name} is not pinned"
        known = BUILDS["packages"].get(name)
        assert known is not None, f"{path.name}: {name} is not in conda_forge_builds.yaml"
        assert version in known["versions"], (
            f"{path.name}: {name} ={version} was never built on conda-forge "
            f"(built: {', '.join(known['versions'])})"
        )


def test_the_cp2k_environment_takes_the_mpi_build():
    (entry,) = [
        e
        for e in yaml.safe_load((REPO / "workflow/envs/cp2k.yaml").read_text())["dependencies"]
        if isinstance(e, str) and e.startswith("cp2k ")
    ]
    # the nompi build wins by build number unless the spec names the MPI one
    assert "_openmpi_" in entry


def test_no_environment_installs_mofglass_itself():
    # a shared conda prefix would otherwise run the first checkout's code for every
    # checkout: mofglass comes from PYTHONPATH, set by the workflow to its checkout
    assert not list((REPO / "workflow/envs").glob("*.post-deploy.sh"))
    common = (REPO / "workflow/rules/common.smk").read_text()
    assert "export_to_jobs(source_of())" in common
    # the checkout's src folder goes to the jobs; an installed package's folder would
    # carry every other package of its environment, and does not
    from mofglass.checkout import source_of

    assert source_of() == REPO / "src"
