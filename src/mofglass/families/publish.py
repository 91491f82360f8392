"""Models made usable here without training: a published model's archive
(``type: published``) and a universal potential used zero-shot (``type: foundation``),
each written as ``model.json`` beside its ``family.json``. Apart from the families, so
that :mod:`mofglass.models` (which runs them) does not import its own makers back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from .. import calculators
from ..atomicio import write_text, write_with
from ..models import Model, write_model
from . import (
    LAMMPS_FILES,
    PAIR_STYLES,
    FamilyError,
    engine_for,
    pair_commands,
    published_file_problem,
    run,
)


def publish(name: str, block: Mapping, out_dir: str | Path, level: str | None) -> Model:
    """A published model (``type: published``) made usable here: its archive copied into
    ``out_dir`` as ``deployed.pth`` (results are self-contained), its metadata read in
    the family's environment (the archive must load there), and ``model.json`` and
    ``family.json`` (source path, SHA-256, metadata) written. ``level``: the level of
    theory it is compared against (its dataset's)."""
    problem = published_file_problem(name, block)
    if problem:
        raise FamilyError(problem)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    source = Path(block["file"]).resolve()
    data = source.read_bytes()
    write_with(out / LAMMPS_FILES["published"], lambda tmp: Path(tmp).write_bytes(data))
    metadata = run("published", "inspect", {"file": str(out / LAMMPS_FILES["published"])})
    species = tuple(metadata["type_names"].split())
    if not species or not metadata.get("r_max"):
        raise FamilyError(f"{source}: not a nequip-deploy archive (no type_names or r_max)")
    record = {
        "family": "published",
        "format": block.get("format", "nequip-0.5"),
        "deployed": LAMMPS_FILES["published"],
        "source": str(source),
        "sha256": hashlib.sha256(data).hexdigest(),
        **metadata,
    }
    write_text(out / "family.json", json.dumps(record, indent=2) + "\n")
    in_lammps = engine_for(block) == "lammps"
    model = Model(
        name=name,
        type="published",
        species=species,
        pair_styles=(PAIR_STYLES["published"],) if in_lammps else (),
        pair_commands=pair_commands("published", species) if in_lammps else (),
        info={
            "source": str(source),
            "level_of_theory": level,
            "device": block.get("device", "cpu"),
        },
    )
    write_model(out, model)
    return model


def foundation(
    name: str, block: Mapping, level: Mapping, species: Sequence[str], out_dir: str | Path
) -> Model:
    """A universal potential used zero-shot as a model (``type: foundation``): the
    calculator level it is (``level``: {name, block}), written as ``family.json``
    with its calculator's spec, and ``model.json`` for ``species`` (its dataset's).
    The level's Python must run it here."""
    calc = calculators.CalculatorLevel.from_config(level["name"], level["block"])
    problems = calculators.problems(calc)
    if problems:
        raise FamilyError("; ".join(problems))
    out = Path(out_dir)
    record = {"family": "foundation", "level": dict(level), "spec": calc.spec()}
    write_text(out / "family.json", json.dumps(record, indent=2) + "\n")
    model = Model(
        name=name,
        type="foundation",
        species=tuple(species),
        pair_styles=(),
        pair_commands=(),
        info={"dataset": block.get("dataset"), "level": dict(level), "device": "auto"},
    )
    write_model(out, model)
    return model
