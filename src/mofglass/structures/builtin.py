"""Built-in crystals, generated from crystallographic data (space group, cell, asymmetric unit).

The data live in ``builtin/<name>.yaml`` in the project's own format; ASE's space-group
machinery expands the asymmetric unit into the full cell.
"""

from __future__ import annotations

from importlib import resources

import yaml
from ase import Atoms
from ase.spacegroup import crystal

from .checks import StructureError

_DATA = resources.files("mofglass.structures") / "builtin"


def builtin_names() -> list[str]:
    """Names of the built-in crystals."""
    return sorted(p.name.removesuffix(".yaml") for p in _DATA.iterdir() if p.name.endswith(".yaml"))


def builtin_data(name: str) -> dict:
    """The crystallographic record of a built-in crystal."""
    path = _DATA / f"{name}.yaml"
    if not path.is_file():
        raise StructureError(
            f"no built-in crystal named {name!r}; built-in crystals: {', '.join(builtin_names())}"
        )
    return yaml.safe_load(path.read_text())


def builtin_crystal(name: str) -> Atoms:
    """The full conventional cell of a built-in crystal (positions in Å)."""
    data = builtin_data(name)
    labels, symbols, basis = [], [], []
    for label, symbol, x, y, z in data["sites"]:
        labels.append(label)
        symbols.append(symbol)
        basis.append((x, y, z))
    atoms = crystal(
        symbols,
        basis=basis,
        spacegroup=data["spacegroup"],
        cellpar=data["cell"],
        symprec=1e-3,
        pbc=True,
    )
    expected = data.get("atoms_per_cell")
    if expected is not None and len(atoms) != expected:
        raise StructureError(
            f"built-in crystal {name}: expanding the asymmetric unit gave {len(atoms)} atoms, "
            f"expected {expected}"
        )
    atoms.info["name"] = name
    atoms.info["spacegroup_number"] = int(data["spacegroup"])
    return atoms
