"""The config's enhanced-sampling blocks checked against the rest of the config."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .bias import BUILTIN_CVS
from .metadynamics import has_plumed


def bias_errors(config: dict, key: str, bias: Mapping) -> Iterator[str]:
    """A bias (a config block of ``enhanced_sampling.biases``) that refers to what the
    config lacks, or that Colvars cannot write."""
    structure = bias.get("structure")
    if structure is not None and structure not in config.get("structures", {}):
        yield f"{key}.structure: no structure {structure!r}"
    metad = bias["metad"]
    for part in ("sigma", "grid_min", "grid_max", "grid_spacing"):
        if len(metad[part]) != len(metad["cvs"]):
            yield f"{key}.metad.{part}: one value per metad CV ({len(metad['cvs'])})"
    given = bias.get("cvs", "imidazolate_rotation")
    names = set(BUILTIN_CVS[given]) if isinstance(given, str) else {cv["name"] for cv in given}
    for cv in [*metad["cvs"], *(w["cv"] for w in bias.get("walls", []))]:
        if cv not in names:
            yield f"{key}: no CV {cv!r} (defined: {', '.join(sorted(names))})"
    along = bias["barrier"].get("cv")
    if along is not None and along not in metad["cvs"]:
        yield f"{key}.barrier.cv: {along!r} is not one of the metad CVs {metad['cvs']}"
    if config.get("enhanced_sampling", {}).get("backend", "colvars") != "colvars":
        return
    listed = bias["cvs"] if isinstance(bias.get("cvs"), list) else []
    for cv in listed:
        if cv["type"] == "volume":
            yield (
                f"{key}: CV {cv['name']!r} is the cell volume, which Colvars in LAMMPS "
                "cannot bias (no cell-volume component); use backend: plumed"
            )
    ratios = {round(s / d, 9) for s, d in zip(metad["sigma"], metad["grid_spacing"], strict=False)}
    if len(ratios) > 1:
        yield (
            f"{key}.metad: Colvars has one hill width per bias in grid units, so "
            "sigma / grid_spacing must be the same for every metad CV"
        )


def config_errors(config: dict) -> Iterator[str]:
    """Biases that refer to what the config lacks, or a backend this machine lacks."""
    block = config.get("enhanced_sampling", {})
    if not block.get("enabled", False):
        return
    for model in block.get("models") or []:
        if model not in config.get("models", {}):
            yield f"enhanced_sampling.models: no model {model!r}"
    for name, bias in block.get("biases", {}).items():
        yield from bias_errors(config, f"enhanced_sampling.biases.{name}", bias)
    if block.get("backend") == "plumed" and block.get("biases"):
        if not has_plumed():
            yield (
                "enhanced_sampling.backend: plumed needs LAMMPS's PLUMED package (a PLUMED "
                "kernel); this LAMMPS has none: use colvars"
            )
