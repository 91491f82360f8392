"""The project's own code-style gates: ruff and snakefmt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "src", "workflow", "tests"],
        ["ruff", "format", "--check", "src", "workflow", "tests"],
        ["snakefmt", "--check", "workflow"],
    ],
    ids=["ruff-check", "ruff-format", "snakefmt"],
)
def test_code_style(command):
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _imports(path: Path, module: str, modules: set[str]) -> set[str]:
    """The mofglass modules ``module`` (file ``path``) imports anywhere in its body,
    type-checking blocks left out; a name imported from a package is its submodule
    when there is one."""
    import ast

    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):  # `if TYPE_CHECKING:` imports never run
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            node.body = []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


def test_no_import_circles():
    """No module of mofglass imports, at any depth and lazily or not, a module that
    imports it back (issue 36): the strongly connected parts of the import graph
    (scipy's) are single modules."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    src = REPO / "src"
    files = {}
    for path in src.rglob("*.py"):
        parts = path.relative_to(src).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    names = sorted(files)
    index = {name: k for k, name in enumerate(names)}
    edges = [
        (index[module], index[other])
        for module in names
        for other in _imports(files[module], module, set(files))
    ]
    rows, cols = zip(*edges, strict=True)
    graph = coo_matrix(([1] * len(edges), (rows, cols)), shape=(len(names),) * 2)
    _, label = connected_components(graph, directed=True, connection="strong")
    parts = {}
    for name, part in zip(names, label, strict=True):
        parts.setdefault(part, []).append(name)
    circles = [members for members in parts.values() if len(members) > 1]
    assert not circles, circles
