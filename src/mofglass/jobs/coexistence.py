"""Stage 14, coexistence: a crystal slab against a disordered slab of the same framework
made by the model, NPT at a ladder of temperatures, the crystalline fraction of each
run from the phase classifier, and the transition temperature bracketed between them
(Méndez & Semino).

Jobs read files, call science, write files; they never import each other.
Units: K, ps, Å; fractions per classified (metal) atom.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import joblib
import pandas as pd

from .. import chemistry, coexistence, phases, plots
from ..atomicio import read_frames, read_table, write_frames, write_table
from ..md import RunSpec, recipes, run_watched
from ..models import load_model
from ..structures import supercell

log = logging.getLogger(__name__)


def build_job(
    model_file: str,
    structure_file: str,
    chemistry_file: str | None,
    block: Mapping,
    md: Mapping,
    workdir: str,
    outputs: Mapping[str, str],
) -> dict:
    """The two-slab cell (``cell``, extxyz; none when the disordered slab's run failed)
    and the verdict of that run (``verdict``, CSV): the crystal's supercell, and a copy
    of it melted (and for ``amorphous``, quenched) by the model."""
    (crystal,) = read_frames(structure_file)[-1:]
    crystal = supercell(crystal, block["supercell"])
    settings = RunSpec.read(md, chemistry_file)
    protocol = recipes.disordered_slab(block, block["seed"], settings.damping)
    result, row = run_watched(load_model(model_file), crystal, protocol, workdir, settings.watch)
    cell = []
    if result.verdict == "ok":
        disordered = result.frames[-1]
        cell = [coexistence.slab_cell(crystal, disordered, block["axis"], block["gap_A"])]
    write_frames(outputs["cell"], cell)
    write_table(outputs["verdict"], pd.DataFrame([row]))
    log.info("two-slab cell: %s %s", result.verdict, result.reason)
    return row


def run_job(
    model_file: str,
    cell_file: str,
    classifier_file: str,
    chemistry_file: str | None,
    block: Mapping,
    temperature_K: float,
    md: Mapping,
    workdir: str,
    outputs: Mapping[str, str],
) -> coexistence.Growth:
    """NPT of the two-slab cell at ``temperature_K`` and its crystalline fraction per
    frame (``fractions``, CSV: time_ps, fraction_<class>, crystalline) over the atoms of
    the chemistry's metal (or ``block['species']``, an element, for a system that is no
    framework); the growth rate and what it says (``growth``, CSV). A missing cell or
    classifier, or a failed run, is a ``failed`` growth with the reason."""
    cells = read_frames(cell_file)
    model = joblib.load(classifier_file)
    why = "no two-slab cell (its melt failed)" if not cells else "no classifier"
    found = None
    if cells and model is not None:
        metal = (
            block.get("species")
            or (chemistry.read(chemistry_file) or chemistry.derive(cells[0])).metal
        )
        seed = block["seed"] + int(round(temperature_K))
        settings = RunSpec.read(md)
        protocol = recipes.coexistence(block, temperature_K, seed, settings.damping)
        result, _ = run_watched(load_model(model_file), cells[0], protocol, workdir, settings.watch)
        npt = result.thermo[result.thermo["stage"].astype(str).str.startswith("coexist")]
        first = npt["step"].min() if len(npt) else float("inf")
        frames = [f for f in result.frames if f.info["step"] > first]
        if result.verdict == "ok" and frames:
            table = phases.fractions(model, frames, block["symmetry_functions"], metal)
            table.insert(0, "time_ps", [f.info["time_ps"] for f in frames])
            table["crystalline"] = table[f"fraction_{block['crystal_class']}"]
            write_table(outputs["fractions"], table)
            share = coexistence.crystal_share(cells[0], metal)
            found = coexistence.growth(temperature_K, table["time_ps"], table["crystalline"], share)
        else:
            why = f"run {result.verdict}: {result.reason or 'no frames'}"
    if found is None:
        write_table(outputs["fractions"], pd.DataFrame())
        found = coexistence.Growth(temperature_K, float("nan"), float("nan"), "failed", why)
    write_table(outputs["growth"], pd.DataFrame([found.__dict__]))
    log.info("%g K: %s (%.3g +- %.2g /ps) %s", temperature_K, found.outcome,
             found.rate_per_ps, found.error_per_ps, found.reason)  # fmt: skip
    return found


def bracket_job(
    system: str, growth_files: Sequence[str], fraction_files: Sequence[str], outputs: Mapping
) -> dict:
    """The transition temperature of one system from its ladder (``table``, CSV: one
    row with low_K, high_K, value_K, error_K, status, reason; ``growths``, CSV) and the
    crystalline fraction against time at every temperature (``figure``)."""
    rows = [pd.read_csv(p, converters={"reason": str}).iloc[0].to_dict() for p in growth_files]
    growths = [coexistence.Growth(**row) for row in rows]
    found = {"system": system, **coexistence.bracket(growths)}
    write_table(outputs["table"], pd.DataFrame([found]))
    write_table(outputs["growths"], pd.DataFrame([g.__dict__ for g in growths]))
    curves = {}
    for growth, path in zip(growths, fraction_files, strict=True):
        if growth.outcome != "failed":  # a failed run wrote no fractions
            curves[growth.temperature_K] = read_table(path)
    plots.coexistence_plot(curves, growths, found, outputs["figure"], system)
    log.info("%s: %s", system, found)
    return found
