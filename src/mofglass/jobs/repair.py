"""Stage 2, repair: a repaired level's DFT points, its base level on them, the fitted term.

Jobs read files, call science, write files; they never import each other.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import replace

import pandas as pd

from .. import chemistry, plots, repair
from ..atomicio import read_frames, write_frames, write_table, write_text
from ..labels import Labelling

log = logging.getLogger(__name__)


def _no_stress(labelling: Labelling) -> Labelling:
    """The repair fits energies and forces: its single points skip the stress."""
    return replace(labelling, labels={**labelling.labels, "stress": False})


def points_job(
    structure_file: str, chemistry_file: str, block: Mapping, name: str, out: str
) -> None:
    """The geometries of a repair's DFT points: the structure's cell or a fragment cut
    from it, its metal pulled and pushed along its bonds, rattled copies
    (:func:`mofglass.repair.geometries`)."""
    (atoms,) = read_frames(structure_file)
    chem = chemistry.read(chemistry_file)
    spec = repair.Points.from_config(block["repair"].get("points"))
    cut, metal = repair.cut(atoms, chem, spec)
    structure = block["repair"]["structure"]
    frames = repair.geometries(cut, metal, chem, spec, f"{structure}-{spec.cut}")
    write_frames(out, frames)
    log.info(
        "%s: %d geometries of %s in a %s Å cell",
        name,
        len(frames),
        cut.get_chemical_formula(),
        cut.cell.lengths().round(2).tolist(),
    )


def dft_job(
    points_file: str, block: Mapping, labelling: Labelling, outputs: Mapping[str, str]
) -> None:
    """The DFT single points of a repair: computed by CP2K at the repair's level, or the
    shipped points of the same geometries and level (:func:`mofglass.repair.shipped`)."""
    points = read_frames(points_file)
    name = block["repair"].get("shipped")
    if name:
        accepted = repair.shipped(name, points, labelling.level_name, labelling.level)
        quarantined = []
        log.info("%d DFT points shipped as %r", len(accepted), name)
    else:
        accepted, quarantined = _no_stress(labelling).frames(points)
    write_frames(outputs["quarantine"], quarantined)
    write_frames(outputs["dft"], accepted)
    log.info("%d DFT points accepted, %d quarantined", len(accepted), len(quarantined))


def base_job(dft_file: str, labelling: Labelling, out: str) -> None:
    """The base level on the DFT points."""
    dft = read_frames(dft_file)
    accepted, quarantined = _no_stress(labelling).frames(repair.bare(dft))
    if quarantined:
        reasons = "; ".join(
            f"{a.info['frame_id']}: {a.info['quarantine_reason']}" for a in quarantined
        )
        raise repair.RepairError(f"the base level failed on points of the repair: {reasons}")
    write_frames(out, accepted)


def fit_job(
    dft_file: str,
    base_file: str,
    chemistry_file: str,
    block: Mapping,
    name: str,
    outputs: Mapping[str, str],
) -> repair.Fit:
    """Fit the term, refuse it if it makes the level worse on held-out points (the job
    fails with the numbers), and write the term, the per-point errors and the DFT points'
    pull test (DFT, base, repaired)."""
    term = repair.Term.from_config(block["repair"].get("term"), chemistry.read(chemistry_file))
    dft, base = read_frames(dft_file), read_frames(base_file)
    fitted = repair.learn(dft, base, term, **dict(block["repair"].get("fit") or {}))
    record = {
        "level": name,
        "base_level": block["base"],
        "dft_level": block["repair"]["level_of_theory"],
        "points": len(dft),
        "shipped": block["repair"].get("shipped"),
        **json.loads(fitted.to_json()),
    }
    write_table(outputs["points"], pd.DataFrame(repair.point_rows(dft, base, fitted)))
    write_table(outputs["dft_pull"], pd.DataFrame(repair.dft_pull(dft, base, fitted.spec)))
    write_text(outputs["term"], json.dumps(record, indent=1, sort_keys=True) + "\n")
    e = fitted.errors
    log.info(
        "%s: held-out force RMSE %.3f -> %.3f eV/Å, energy RMSE %.1f -> %.1f meV/atom (ridge %g)",
        name,
        e["base_test"]["force_rmse_eV_per_A"],
        e["repaired_test"]["force_rmse_eV_per_A"],
        1e3 * e["base_test"]["energy_rmse_eV_per_atom"],
        1e3 * e["repaired_test"]["energy_rmse_eV_per_atom"],
        fitted.ridge,
    )
    return fitted


def pull_job(
    structure_file: str,
    chemistry_file: str,
    term_file: str,
    fragment_file: str,
    block: Mapping,
    name: str,
    labelling: Labelling,
    outputs: Mapping[str, str],
) -> None:
    """The pull test in the structure: the base level on the pulled frames, plus the
    fitted term; its table and the figure of both pull tests."""
    (atoms,) = read_frames(structure_file)
    chem = chemistry.read(chemistry_file)
    pulled, metal, away = repair.pull(atoms, chem, block["repair"]["pull_A"], f"{name}-pull")
    base, quarantined = _no_stress(labelling).frames(pulled)
    if quarantined:
        raise repair.RepairError(
            "the base level failed on the pull test: "
            + "; ".join(a.info["quarantine_reason"] for a in quarantined)
        )
    spec = json.loads(open(term_file).read())["spec"]
    curves = {"base": base, "repaired": repair.apply(base, spec)}
    table = pd.DataFrame(repair.pull_table(curves, metal, away)).sort_values("stretch_A")
    write_table(outputs["pull"], table)
    fragment = pd.read_csv(fragment_file)
    plots.repair_plot(fragment, table, outputs["figure"], f"{name}: {block['base']} repaired")
