"""mofglass deployed as the Snakemake workflow catalogue's "standardized usage" expects:
``snakedeploy deploy-workflow`` into an empty folder, then used as a module."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, copy_project

pytestmark = pytest.mark.workflow

#: The address a user gives snakedeploy; git serves it from a local repository
#: (``url.<path>.insteadOf``), as this machine reaches no Git host.
URL = "https://github.com/mofglass/mofglass"


def test_the_catalogue_files_are_there_and_say_what_they_must():
    catalog = yaml.safe_load((REPO / ".snakemake-workflow-catalog.yml").read_text())
    usage = catalog["usage"]
    assert usage["software-stack-deployment"]["conda"] is True and usage["report"] is True
    assert (REPO / "workflow/Snakefile").is_file() and not (REPO / "Snakefile").exists()
    assert (REPO / "config/config.yaml").is_file() and (REPO / "config/README.md").is_file()
    # the captions the workflow reads by name (a module has no folder to glob) are
    # exactly those in workflow/report/
    common = (REPO / "workflow/rules/inputs/report.smk").read_text()
    listed = re.search(r"CAPTIONED = \(\n((?:    \"\w+\",\n)+)\)", common).group(1)
    names = re.findall(r"\"(\w+)\"", listed)
    assert names == sorted(p.stem for p in (REPO / "workflow/report").glob("*.rst"))


def test_snakedeploy_deploys_it_as_a_module_whose_dry_run_reaches_the_report(tmp_path):
    source = copy_project(tmp_path / "mofglass")
    for name in (".snakemake-workflow-catalog.yml", "README.md", "pyproject.toml"):
        shutil.copy(REPO / name, source / name)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=source, check=True)
    subprocess.run([*git, "add", "-A"], cwd=source, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "release"], cwd=source, check=True)
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f'[url "{source}"]\n\tinsteadOf = {URL}\n')
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),  # Snakemake's source cache
    }
    deployed = tmp_path / "analysis"
    bindir = Path(sys.executable).parent
    done = subprocess.run(
        [str(bindir / "snakedeploy"), "deploy-workflow", URL, str(deployed), "--branch", "main"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    snakefile = (deployed / "workflow/Snakefile").read_text()
    assert "module mofglass:" in snakefile and "use rule * from mofglass" in snakefile
    assert 'github("mofglass/mofglass", path="workflow/Snakefile", branch="main")' in snakefile
    for name in ("config.yaml", "tiny.yaml", "paper.yaml", "README.md"):
        assert (deployed / "config" / name).is_file(), name
    assert (deployed / "profiles/slurm/profile.yaml").is_file()

    # as a user does: the tiny config as the deployment's config, its structure beside
    shutil.copy(deployed / "config/tiny.yaml", deployed / "config/config.yaml")
    (deployed / "tests/data").mkdir(parents=True)
    shutil.copy(REPO / "tests/data/ZnIm2.extxyz", deployed / "tests/data")
    dry = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "results/report/index.html"],
        cwd=deployed,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    said = dry.stdout + dry.stderr
    assert dry.returncode == 0, said[-3000:]
    assert "Cloning github.com/mofglass/mofglass" in said  # the module, from its source
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", said, re.MULTILINE))
    assert jobs.get("report") == "1" and int(jobs["total"]) > 10
    assert "label_batch" in jobs and "train_snap" in jobs
