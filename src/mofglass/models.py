"""A trained model as the MD engine and the evaluation see it: files plus LAMMPS lines.

Every model directory holds ``model.json``::

    {"name": ..., "type": "snap", "species": ["C", "H", "N", "Zn"],
     "pair_styles": ["snap"], "pair_commands": ["pair_style snap", ...],
     "level_of_theory": ..., "dataset": ...}

``pair_commands`` name the model's files relative to the directory as ``{model_dir}/file``;
:meth:`Model.commands` fills in the path. ``pair.lammps`` holds the same lines with
plain file names, for use in one's own LAMMPS input run from that directory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ase import Atoms

from .atomicio import write_text
from .lammps import LAMMPSError, atom_types, check_pair_styles, evaluate

MODEL_FILE = "model.json"
PAIR_FILE = "pair.lammps"


@dataclass(frozen=True)
class Model:
    """A LAMMPS-ready model: its species order (LAMMPS types 1, 2, ...) and pair lines."""

    name: str
    type: str
    species: tuple[str, ...]
    pair_styles: tuple[str, ...]
    pair_commands: tuple[str, ...]
    directory: Path = Path(".")
    info: dict = field(default_factory=dict)

    def commands(self) -> list[str]:
        """The pair lines with the model's files at their absolute paths."""
        where = str(self.directory.resolve())
        return [c.replace("{model_dir}", where) for c in self.pair_commands]

    @property
    def is_family(self) -> bool:
        """A NequIP, Allegro or MACE model, evaluated by its own package (mofglass.families)."""
        from .families import FAMILIES

        return self.type in FAMILIES

    def check(self, atoms: Atoms | None = None) -> None:
        """Raise ``LAMMPSError`` if LAMMPS lacks a pair style or ``atoms`` has an element
        the model does not know; ``FamilyError`` if a family model's package is missing."""
        if self.is_family:
            from .families import FamilyError, install_hint, interpreter

            if interpreter(self.type, self.info.get("level")) is None:
                level = self.info.get("level")
                raise FamilyError(
                    f"model {self.name}: its level {level['name']!r} cannot run here"
                    if level
                    else install_hint(self.type)
                )
        if self.pair_styles:
            check_pair_styles(self.pair_styles)
        if atoms is not None:
            atom_types(atoms, self.species)  # elements, or atom types, it knows

    def knows(self, atoms: Atoms) -> bool:
        """Whether every element (or, for a model by atom type, every atom type) of
        ``atoms`` is one of the model's."""
        try:
            atom_types(atoms, self.species)
        except LAMMPSError:
            return False
        return True

    def fingerprint(self) -> str:
        """SHA-256 of ``model.json`` and of every file the pair lines name: a rerun of
        an MD run resumes only with the very same model."""
        digest = hashlib.sha256()
        names = sorted(
            {
                token.removeprefix("{model_dir}/")
                for command in self.pair_commands
                for token in command.split()
                if token.startswith("{model_dir}/")
            }
        )
        for name in [MODEL_FILE, *names]:
            path = self.directory / name
            if path.exists():
                digest.update(name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    def predict(self, frames: Sequence[Atoms]) -> list[Atoms]:
        """Energy, forces and stress of each frame: LAMMPS with the model's files, or a
        family model's deployed calculator."""
        if self.is_family:
            from .families import predict

            return predict(self.directory, frames, self.info.get("device", "auto"))
        return [evaluate(a, self.species, self.commands()) for a in frames]


def write_model(directory: str | Path, model: Model) -> None:
    """Write ``model.json`` and ``pair.lammps`` into ``directory`` (atomically)."""
    directory = Path(directory)
    record = asdict(model)
    record.pop("directory")
    write_text(directory / MODEL_FILE, json.dumps(record, indent=2) + "\n")
    lines = [c.replace("{model_dir}/", "") for c in model.pair_commands]
    header = (
        f"# {model.name}: {model.type} model for {' '.join(model.species)} "
        f"(LAMMPS types 1-{len(model.species)} in this order; units metal)\n"
    )
    write_text(directory / PAIR_FILE, header + "\n".join(lines) + "\n")


def load_model(model_file: str | Path) -> Model:
    """The model described by ``model_file`` (a ``model.json``; the files it names lie
    beside it)."""
    model_file = Path(model_file)
    if model_file.is_dir():
        raise ValueError(f"{model_file} is a directory: give its {MODEL_FILE}")
    directory = model_file.parent
    record = json.loads(model_file.read_text())
    return Model(
        name=record["name"],
        type=record["type"],
        species=tuple(record["species"]),
        pair_styles=tuple(record["pair_styles"]),
        pair_commands=tuple(record["pair_commands"]),
        directory=directory,
        info=record.get("info", {}),
    )
