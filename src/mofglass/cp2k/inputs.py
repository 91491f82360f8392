"""CP2K input files built as nested dictionaries and rendered with cp2k-input-tools.

Trees use cp2k-input-tools' simplified format: lower-case keys, sections as
dictionaries, ``"_"`` for a section parameter, ``"*"`` for a section's default keyword
(the lines of ``&COORD``). Lengths in the input are in Å, times in fs, temperatures in K.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache

from ase import Atoms

from .levels import LevelOfTheory, LevelOfTheoryError, deep_merge


@dataclass(frozen=True)
class MDSettings:
    """NVT molecular dynamics with the CSVR thermostat (Bussi-Donadio-Parrinello)."""

    temperature_K: float
    timestep_fs: float = 0.5
    thermostat_timecon_fs: float = 100.0
    print_every: int = 1
    stress: bool = False
    seed: int = 1
    masses: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_config(cls, block: Mapping, temperature_K: float, seed: int) -> MDSettings:
        """The settings of a config's ``aimd`` block at ``temperature_K`` with ``seed``."""
        return cls(
            temperature_K=temperature_K,
            timestep_fs=block["timestep_fs"],
            thermostat_timecon_fs=block["thermostat_timecon_fs"],
            print_every=block["print_every"],
            stress=block["stress"],
            seed=seed,
            masses=dict(block["masses"]),
        )


def subsys_section(atoms: Atoms, level: LevelOfTheory, masses: Mapping | None = None) -> dict:
    """``FORCE_EVAL/SUBSYS``: cell vectors (Å), Cartesian coordinates (Å) and kinds."""
    elements = atoms.get_chemical_symbols()
    kinds = level.kinds(elements)
    for element, mass in (masses or {}).items():
        if element in elements:
            kinds.setdefault(element, {})["mass"] = float(mass)
    section = {
        "cell": {
            "a": [float(x) for x in atoms.cell[0]],
            "b": [float(x) for x in atoms.cell[1]],
            "c": [float(x) for x in atoms.cell[2]],
            "periodic": "xyz",
        },
        "coord": {
            "*": [
                f"{s} {x:.10f} {y:.10f} {z:.10f}"
                for s, (x, y, z) in zip(elements, atoms.positions, strict=True)
            ]
        },
    }
    if kinds:
        section["kind"] = kinds
    return section


def force_eval_section(
    atoms: Atoms, level: LevelOfTheory, stress: bool, masses: Mapping | None = None
) -> dict:
    """``FORCE_EVAL`` for Quickstep at ``level`` (before the level's overrides)."""
    section = {
        "method": "quickstep",
        "dft": level.dft_section(atoms.cell.lengths()),
        "subsys": subsys_section(atoms, level, masses),
    }
    if stress:
        section["stress_tensor"] = "analytical"
    return section


def energy_force_input(
    atoms: Atoms, level: LevelOfTheory, project: str = "sp", stress: bool = True
) -> dict:
    """A single point: energy, forces (written to a file) and optionally the stress."""
    force_eval = force_eval_section(atoms, level, stress)
    force_eval["print"] = {"forces": {"_": "on", "filename": "forces"}}
    if stress:
        force_eval["print"]["stress_tensor"] = {"_": "on", "filename": "stress"}
    tree = {
        "global": {"project": project, "run_type": "energy_force", "print_level": "low"},
        "force_eval": force_eval,
    }
    return deep_merge(tree, level.overrides)


def md_input(
    atoms: Atoms,
    level: LevelOfTheory,
    md: MDSettings,
    steps: int,
    project: str = "md",
    restart_file: str | None = None,
    wfn_file: str | None = None,
) -> dict:
    """NVT-CSVR molecular dynamics for ``steps`` steps.

    With ``restart_file`` the run continues a previous one (positions, velocities,
    thermostat state and step counter from CP2K's restart file); ``wfn_file`` is a
    wavefunction to start the first SCF from.
    """
    each = {"md": md.print_every}
    motion_print = {
        "trajectory": {"_": "on", "format": "xyz", "each": each},
        "forces": {"_": "on", "format": "xyz", "each": each},
        "velocities": {"_": "on", "format": "xyz", "each": each},
        "restart": {"backup_copies": 0, "each": {"md": md.print_every}},
        "restart_history": {"_": "off"},
    }
    if md.stress:
        motion_print["stress"] = {"_": "on", "each": each}
    tree = {
        "global": {
            "project": project,
            "run_type": "md",
            "print_level": "low",
            "seed": md.seed,
        },
        "motion": {
            "md": {
                "ensemble": "nvt",
                "steps": steps,
                "timestep": md.timestep_fs,
                "temperature": md.temperature_K,
                "thermostat": {
                    "type": "csvr",
                    "csvr": {"timecon": md.thermostat_timecon_fs},
                },
            },
            "print": motion_print,
        },
        "force_eval": force_eval_section(atoms, level, md.stress, md.masses),
    }
    if restart_file is not None:
        tree["ext_restart"] = {"restart_file_name": restart_file}
    if wfn_file is not None:
        tree["force_eval"]["dft"]["wfn_restart_file_name"] = wfn_file
        tree["force_eval"]["dft"]["scf"]["scf_guess"] = "restart"
    return deep_merge(tree, level.overrides)


def _canonical(tree: Mapping) -> dict:
    """Turn ``kind: {El: {...}}`` into the canonical list form the generator needs."""
    out = {}
    for key, value in tree.items():
        if key == "kind" and isinstance(value, Mapping):
            out[key] = [{"_": element, **section} for element, section in value.items()]
        elif isinstance(value, Mapping):
            out[key] = _canonical(value)
        else:
            out[key] = value
    return out


@cache
def _generator():
    # Loading CP2K's input schema (28 MB of XML) takes seconds: do it once per process.
    from cp2k_input_tools.generator import CP2KInputGenerator  # 0.4 s: only where used

    return CP2KInputGenerator()


def render(tree: Mapping) -> str:
    """CP2K input text of ``tree``, validated against CP2K's input schema on the way."""
    return "\n".join(_generator().line_iter(_canonical(tree))) + "\n"


def unknown_keys(tree: Mapping, node=None, path: tuple[str, ...] = ()) -> Iterator[str]:
    """Paths (``a.b.c``) in ``tree`` that are neither a section nor a keyword of CP2K.

    Walks CP2K's input schema as bundled with cp2k-input-tools, so that a typo in a
    config override is reported with its full path before any CP2K job starts.
    """
    if node is None:
        node = _generator()._parse_tree.getroot()
    for key, value in tree.items():
        if key in ("_", "*"):
            continue
        name = str(key).lstrip("+&").upper()
        section = _schema_child(node, "SECTION", name)
        if section is None:
            if _schema_child(node, "KEYWORD", name) is None:
                yield ".".join((*path, str(key)))
            continue
        if name == "KIND" and isinstance(value, Mapping):  # {element: {...}}
            for element, sub in value.items():
                yield from unknown_keys(sub, section, (*path, key, element))
        elif isinstance(value, Mapping):
            yield from unknown_keys(value, section, (*path, key))
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Mapping):
                    yield from unknown_keys(item, section, (*path, key))


def check_overrides(level: LevelOfTheory) -> None:
    """Raise :class:`LevelOfTheoryError` naming every override CP2K does not know."""
    bad = list(unknown_keys(level.overrides))
    if bad:
        raise LevelOfTheoryError(
            "CP2K has no section or keyword "
            + ", ".join(f"levels_of_theory.{level.name}.overrides.{path}" for path in bad)
            + " (paths follow CP2K's input structure, e.g. force_eval.dft.scf.max_scf)"
        )


def _schema_child(node, tag: str, name: str):
    """The child SECTION or KEYWORD of an input-schema node with the given name."""
    for child in node.iterfind(f"./{tag}"):
        if name in (e.text for e in child.iterfind("./NAME")):
            return child
    return None


@cache
def _parser():
    from cp2k_input_tools.parser import CP2KInputParserSimplified

    return CP2KInputParserSimplified(key_trafo=str.lower)  # parse() starts afresh each call


def parse(text: str) -> dict:
    """Parse CP2K input text into cp2k-input-tools' simplified nested dictionary."""
    return _parser().parse(io.StringIO(text))
