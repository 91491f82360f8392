"""The documentation: the site builds with ``mkdocs build --strict`` (no broken link, no
missing page, every API entry found), its config reference holds every key of the
schema, and the example notebook runs with this release's code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from .conftest import REPO


def schema_keys(node: dict, defs: dict) -> set[str]:
    """Every property name the schema defines, at any depth (its own walk, independent
    of mofglass.config_reference)."""
    if "$ref" in node:
        node = {**defs[node["$ref"].split("/")[-1]], **node}
    names = set()
    for name, child in node.get("properties", {}).items():
        names.add(name)
        names |= schema_keys(child, defs)
    for key in ("additionalProperties", "items"):
        if isinstance(node.get(key), dict):
            names |= schema_keys(node[key], defs)
    for option in node.get("oneOf", []) + node.get("anyOf", []):
        names |= schema_keys(option, defs)
    return names


def test_the_site_builds_strictly_with_every_config_key(tmp_path):
    site = tmp_path / "site"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "-d", str(site)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for page in ("tutorial", "own-mof", "cluster", "module", "config", "api"):
        assert (site / page / "index.html").is_file(), page
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    reference = (site / "config" / "index.html").read_text()
    keys = schema_keys(schema, schema["$defs"])
    missing = sorted(k for k in keys if f".{k}<" not in reference and f">{k}<" not in reference)
    assert not missing, f"config keys missing from the reference: {missing}"
    api = (site / "api" / "index.html").read_text()
    assert "fit_birch_murnaghan" in api and "Birch-Murnaghan" in api  # the docstring itself
    assert (site / "examples" / "own_trajectory.ipynb").is_file()


def test_the_example_notebook_runs(tmp_path):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(REPO / "docs/examples/own_trajectory.ipynb", as_version=4)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()  # raises CellExecutionError with the cell and traceback on failure
    printed = "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "Zn-N coordination 4.00" in printed and "K0 = " in printed and "K_hill" in printed
    assert (tmp_path / "my_run.extxyz").is_file()
