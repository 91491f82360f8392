"""Levels of theory: what a config's ``levels_of_theory`` block means, in one place.

A level is one of three kinds::

    levels_of_theory:
      pbe-d3:   {method: pbe-d3}                  # a CP2K method (mofglass.cp2k.levels)
      sevennet: {calculator: sevennet-0,          # an ASE calculator (mofglass.calculators)
                 dispersion: {method: PBE, damping: d3zero}}
      teacher:  {base: sevennet,                  # a repaired level (mofglass.repair):
                 repair: {level_of_theory: pbe-d3, structure: ZIF-4}}   # base + pair term

A repaired level runs as its base calculator plus the pair term the repair stage fitted
to DFT single points (``results/repair/<level>/term.json``); it labels, runs reference
MD, cross-checks and carries provenance as any other level, under its own name.

Every stage gets a level through :func:`resolve` (the block a job runs it with) and
:func:`build` (the object that computes with it).
"""

from __future__ import annotations

from collections.abc import Mapping


def kind(block: Mapping) -> str:
    """``cp2k``, ``calculator`` or ``repaired``."""
    if "base" in block:
        return "repaired"
    return "calculator" if "calculator" in block else "cp2k"


def is_calculator(block: Mapping) -> bool:
    """Whether a level computes with an ASE calculator (a calculator level, or a repaired
    one whose base is), rather than with CP2K."""
    return kind(block) in ("calculator", "repaired")


def term_file(name: str) -> str:
    """Where the repair stage writes a repaired level's fitted term."""
    return f"results/repair/{name}/term.json"


def resolve(name: str, levels: Mapping) -> dict:
    """The block a job runs level ``name`` with: its own for a CP2K or calculator level;
    for a repaired level its base's calculator block, the name of that base and the
    file of its fitted term (read when the level is built, in the job)."""
    block = levels[name]
    if kind(block) != "repaired":
        return dict(block)
    base = levels[block["base"]]
    if kind(base) != "calculator":
        raise ValueError(f"level {name!r}: its base {block['base']!r} is not a calculator level")
    return {**base, "base_level": block["base"], "repair_file": term_file(name)}


def describe(name: str, levels: Mapping) -> str:
    """What level ``name`` is, in words: a CP2K method, a calculator (with its
    dispersion), or a base level plus its pair term and the DFT points it was fitted to."""
    block = levels[name]
    if kind(block) == "repaired":
        repair = block["repair"]
        given = (repair.get("term") or {}).get("pairs")
        pairs = ", ".join("–".join(pair) for pair in given) if given else "metal–donor"
        return (
            f"{describe(block['base'], levels)} + a {pairs} pair term fitted to "
            f"{repair['level_of_theory']} single points of {repair['structure']} ({name})"
        )
    if kind(block) == "calculator":
        dispersion = block.get("dispersion") or {}
        extra = " + D3" if dispersion else ""
        if dispersion.get("damping"):  # otherwise simple-dftd3's own default
            extra += f" ({dispersion['damping']})"
        return f"{block['calculator']}{extra} ({name})"
    return f"CP2K {block['method']} ({name})"


def files(name: str | None, levels: Mapping) -> list[str]:
    """Files a job at level ``name`` reads: the fitted term of a repaired level (none for
    any other level, or for no level: a stage the config leaves out)."""
    block = levels.get(name) if name else None
    return [term_file(name)] if block and kind(block) == "repaired" else []


def build(name: str, block: Mapping):
    """The level as an object: :class:`mofglass.cp2k.levels.LevelOfTheory` or
    :class:`mofglass.calculators.CalculatorLevel` (a repaired level's, with its term)."""
    if is_calculator(block):
        from .calculators import CalculatorLevel

        return CalculatorLevel.from_config(name, block)
    from .cp2k.levels import LevelOfTheory

    return LevelOfTheory.from_config(name, block)


def in_use(config: Mapping) -> list[str]:
    """Names of the levels the config's stages use: sampling, datasets, active-learning
    loops, cross-level checks, foundation models (a level used as a model, or
    fine-tuned), and for a repaired level its base and the level of its DFT points."""
    names = {config["aimd"]["level_of_theory"]}
    names |= {block["level_of_theory"] for block in config.get("datasets", {}).values()}
    for block in config.get("models", {}).values():
        loop = block.get("active_learning") or {}
        if loop.get("level_of_theory"):
            names.add(loop["level_of_theory"])
        if block["type"] in ("foundation", "finetune") and block.get("level"):
            names.add(block["level"])
    check = config.get("cross_check") or {}
    if check.get("level_of_theory"):
        names.add(check["level_of_theory"])
    levels = config["levels_of_theory"]
    for name in list(names):
        block = levels.get(name, {})
        if kind(block) == "repaired":
            names |= {block["base"], block["repair"]["level_of_theory"]}
    return sorted(n for n in names if n in levels)


def repaired(config: Mapping) -> list[str]:
    """Names of the repaired levels the config uses."""
    levels = config["levels_of_theory"]
    return [n for n in in_use(config) if kind(levels[n]) == "repaired"]


def missing(config: Mapping) -> list[str]:
    """One message per calculator level the config uses that cannot run here."""
    from .calculators import CalculatorLevel, problems

    out = []
    for name in in_use(config):
        block = config["levels_of_theory"][name]
        if kind(block) == "calculator":
            out += problems(CalculatorLevel.from_config(name, block))
    return out


def env(block: Mapping, levels: Mapping) -> str | None:
    """The environment a level's jobs run in: a calculator's own (sevenn, chgnet), its
    base's for a repaired level, None (mofglass's CP2K environment) otherwise."""
    if kind(block) == "repaired":
        return env(levels[block["base"]], levels)
    if kind(block) == "cp2k":
        return None
    from .calculators import SHIPPED

    shipped = SHIPPED.get(block.get("calculator"))
    return block.get("env") or (shipped.env if shipped else None)
