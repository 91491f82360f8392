"""Stage 14, the report: every stage's results on one self-contained page.

Jobs read files, call science, write files; they never import each other.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from .. import plots
from ..atomicio import read_table, write_text
from ..report import Section, compare, render

log = logging.getLogger(__name__)


def report_job(
    config_name: str,
    datasets: Sequence[str],
    models: Sequence[str],
    analysis_sources: Sequence[str],
    meltquench: bool,
    output: str,
    comparison_figure: str | None = None,
    model_blocks: Mapping | None = None,
    active_learning: Sequence[str] = (),
    mechanics: Mapping[str, Sequence[str]] | None = None,
    mechanics_kinds: Mapping[str, str] | None = None,
    enhanced: Sequence[str] = (),
    phases: bool = False,
    cross_check: Sequence[str] = (),
) -> None:
    """Write the self-contained HTML report of a run from the files under results/;
    ``comparison_figure``: where the model comparison figure goes."""

    results = Path("results")
    sections = []
    selection = Section("Selection", "Potential energy per atom of the pool and of each split.")
    for name in datasets:
        table = read_table(results / f"selection/{name}/selection.csv")
        counts = table["split"].value_counts().rename_axis("split").reset_index(name="frames")
        selection.tables.append((f"dataset {name} ({table['selector'].iloc[0]})", counts))
        selection.figures.append(results / f"selection/{name}/energy_distribution.png")
        coverage = results / f"selection/{name}/cbad_coverage.png"
        if coverage.exists():
            selection.figures.append(coverage)
    sections.append(selection)

    model_section = Section(
        "Models",
        "Errors of every model on its splits (LAMMPS with the written files), "
        "measured MD cost on this machine, and published values.",
    )
    model_rows = []
    for name in models:
        metrics = read_table(results / f"models/{name}/metrics.csv")
        cost = read_table(results / f"models/{name}/cost.csv")
        model_section.tables.append((f"{name}: errors", metrics))
        model_section.tables.append((f"{name}: MD cost", cost))
        test = metrics[metrics["split"] == "test"].iloc[0]
        for column in metrics.columns[3:-1]:
            unit = column.rsplit("_", 2)[-2:] if "per" in column else column.rsplit("_", 1)[-1:]
            model_rows.append(
                {
                    "source": f"{name} (test)",
                    "quantity": column,
                    "value": test[column],
                    "error": float("nan"),
                    "unit": "/".join(unit),
                }
            )
        model_rows.append(
            {
                "source": f"{name} ({cost['n_atoms'].iloc[-1]} atoms)",
                "quantity": "us_per_atom_step",
                "value": cost["us_per_atom_step"].iloc[-1],
                "error": float("nan"),
                "unit": "µs/atom/step",
            }
        )
        for figure in ("parity.png", "learning_curve.png", "cost.png"):
            model_section.figures.append(results / f"models/{name}/{figure}")
        model_section.figures.append(results / f"md/{name}/check/temperature.png")
        verdict = pd.read_csv(results / f"md/{name}/check/verdict.tsv", sep="\t")
        model_section.tables.append((f"{name}: MD check", verdict))
    if comparison_figure is not None and not models:
        plots.empty_figure(comparison_figure, "no models in this run")
    if models and comparison_figure is not None:
        from ..evaluation import model_comparison
        from ..plots import comparison_plot

        blocks = model_blocks or {}
        table = model_comparison(
            {
                name: {
                    "type": blocks.get(name, {}).get("type", ""),
                    "dataset": blocks.get(name, {}).get("dataset", ""),
                    "metrics": read_table(results / f"models/{name}/metrics.csv"),
                    "cost": read_table(results / f"models/{name}/cost.csv"),
                    "md_check": pd.read_csv(results / f"md/{name}/check/verdict.tsv", sep="\t")[
                        "verdict"
                    ].iloc[0],
                }
                for name in models
            }
        )
        comparison_plot(table, comparison_figure)
        model_section.tables.insert(0, ("comparison (test MAE; Table 1 layout)", table))
        model_section.figures.insert(0, Path(comparison_figure))
    if model_rows:
        model_section.tables.insert(
            0, ("next to published values", compare(pd.DataFrame(model_rows), "model"))
        )
    sections.append(model_section)
    if active_learning:
        loops = Section(
            "Active learning",
            "Per iteration: frames explored by MD with the current model at T_k, new CBAD "
            "bins, frames selected, labelled and quarantined; the force RMSE of model k-1 "
            "on the fresh frames (before they join the training set) and of the current "
            "model on the fixed test set; core-seconds per stage.",
        )
        for name in active_learning:
            records = read_table(results / f"active_learning/{name}/records.csv")
            loops.tables.append((f"{name}: records", records))
            loops.figures.append(results / f"active_learning/{name}/records.png")
        sections.append(loops)

    if meltquench:
        melt = Section(
            "Melt-quench",
            "Every run's verdict from the stability watch, and T(t) with the stages "
            "coloured (Castel et al., Fig. 5).",
        )
        melt.tables.append(("verdicts", pd.read_csv(results / "meltquench/verdicts.tsv", sep="\t")))
        melt.figures += sorted(results.glob("meltquench/*/replica*/temperature.png"))
        sections.append(melt)

    structure = Section(
        "Structure",
        "Averages with their errors (block averages for one trajectory, standard errors "
        "across replicas or structures), and published values. Each PMF is taken at its "
        "source's own temperature, named in its figure: an AIMD run's thermostat, the "
        "melt-quench's final stage for glasses, analysis.pmf_temperature_K for static "
        "structures.",
    )
    for kind in ("structure", "aimd", "meltquench", "set"):
        rows = []
        for source in (s for s in analysis_sources if s.startswith(kind + "/")):
            path = results / f"analysis/{source}/summary.csv"
            if path.stat().st_size == 0:
                continue
            summary = read_table(path)
            for column in ("value", "error"):
                summary[column] = pd.to_numeric(summary[column], errors="coerce")
            summary.insert(0, "source", source)
            rows.append(summary)
        if not rows:
            continue
        table = pd.concat(rows, ignore_index=True)
        structure.tables.append((f"{kind}: all quantities", table.drop(columns=["n_samples"])))
        compared = compare(table, kind)
        if len(compared):
            structure.tables.append((f"{kind}: next to published values", compared))
    for source in analysis_sources:
        for figure in ("rdf.png", "angles.png"):
            structure.figures.append(results / f"analysis/{source}/{figure}")
    sections.append(structure)

    if cross_check:
        sections.append(cross_check_section(results, cross_check))
    if mechanics:
        sections.append(mechanics_section(results, mechanics, mechanics_kinds or {}))
    if enhanced:
        sections.append(enhanced_section(results, enhanced))
    if phases:
        sections.append(phases_section(results))

    text = render(
        "mofglass report",
        sections,
        f"Config: {html.escape(config_name)}. Units: energies meV/atom, forces meV/Å, stress "
        "MPa, density g/cm³, pore volume cm³/kg, angles degrees, PMFs kJ/mol.",
    )
    write_text(output, text)
    log.info("report: %s (%d sections, %.1f MB)", output, len(sections), len(text) / 1e6)


def cross_check_section(results: Path, files: Sequence[str]) -> Section:
    """The cross-check tables: levels against each other, glasses at their teacher's level."""
    section = Section(
        "Cross-checks",
        "The reference level against a second level on each checked dataset's test split "
        "(energies after removing the mean offset between the two levels, meV/atom; "
        "forces meV/Å; stress GPa), and each glass's final frame at the level its model "
        "learnt from: its energy above the model's 300 K crystal frame (meV/atom, and "
        "kJ/mol per metal atom), the RMS force there against the crystal's (eV/Å), and "
        "the model's own force error on the glass (meV/Å).",
    )
    levels = [read_table(f) for f in files if "/glasses/" not in str(f)]
    glasses = [read_table(f) for f in files if "/glasses/" in str(f)]
    if levels:
        section.tables.append(("levels", pd.concat(levels, ignore_index=True)))
    if glasses:
        section.tables.append(("glasses", pd.concat(glasses, ignore_index=True)))
    return section


def mechanics_section(
    results: Path, samples: Mapping[str, Sequence[str]], kinds: Mapping[str, str]
) -> Section:
    """The mechanics results of every model (``samples``: model -> its samples), the
    crystals', glasses' and sets' next to the published values (``kinds``: sample
    group -> crystal, glass or set), and each sample's figures."""

    section = Section(
        "Mechanics",
        "Bulk modulus from the P(V) scan (Birch-Murnaghan, K_PV, rho0) and from strain and "
        "volume fluctuations (Voigt, Reuss, Hill), Young's and shear moduli and Poisson's "
        "ratio, thermal expansion coefficients (1/K) at the scan's temperature, and the "
        "VDOS. Errors: fit standard errors, block averages of one run, standard errors "
        "over replicas. A sample without numbers says why in its figures.",
    )
    for model, names in samples.items():
        table = read_table(results / f"mechanics/{model}/summary.csv")
        section.tables.append((f"{model}: every sample", table))
        table = table.assign(source=model + "/" + table["sample"].astype(str))
        for group, kind in kinds.items():
            part = table[table["group"] == group]
            if (part["n"] > 1).any():  # a group of samples: its mean over them
                part = part[part["n"] > 1]
            compared = compare(part, f"mechanics-{kind}")
            if len(compared):
                section.tables.append((f"{model}, {group}: next to published values", compared))
        for sample in names:
            base = results / f"mechanics/{model}/{sample}"
            section.figures += [
                base / "eos.png",
                base / "fluctuations/running.png",
                base / "expansion.png",
                base / "vdos.png",
            ]
    return section


def enhanced_section(results: Path, runs: Sequence[str]) -> Section:
    """Barrier of every (model, bias) run (``runs``: ``<model>/<bias>``) next to the
    published one, with the FES and its convergence."""
    section = Section(
        "Enhanced sampling",
        "Well-tempered metadynamics: the FES rebuilt from the deposited hills, "
        "F = -γ/(γ-1) V; the barrier is the highest F in the bias's top interval minus the "
        "lowest in its basin, along its barrier CV (a two-CV FES projected on it first), "
        "its error the spread over the last half of the run. Regions no hill reached sit "
        "flat at the top of the FES.",
    )
    rows = []
    for run in runs:
        table = read_table(results / f"enhanced/{run}/barrier.csv")
        table.insert(0, "source", run)
        rows.append(table)
        section.figures += [
            results / f"enhanced/{run}/fes.png",
            results / f"enhanced/{run}/convergence.png",
        ]
    table = pd.concat(rows, ignore_index=True)
    section.tables.append(("barriers", table))
    if "barrier_eV" in table:
        values = table.assign(
            quantity="barrier_eV",
            value=table["barrier_eV"],
            error=table["barrier_err_eV"],
            unit="eV",
        )
        compared = compare(values, "enhanced")
        if len(compared):
            section.tables.append(("next to published values", compared))
    return section


def phases_section(results: Path) -> Section:
    """The classifier's held-out accuracy and confusion matrix, and the phase fractions
    along every melt-quench."""
    section = Section(
        "Phase classification",
        "Per Zn: symmetry functions over Zn-Zn pairs and a small network (Méndez & "
        "Semino; about 90 % accuracy over four phases, 95 % on crystals). Accuracy on the "
        "held-out 20 % of the Zn; phases whose MD failed have no frames and are left out. "
        "Then the fraction of Zn in each phase, and of 3-coordinated Zn, along every "
        "melt-quench, with its temperature.",
    )
    section.tables.append(("classifier", read_table(results / "phases/metrics.csv")))
    section.figures.append(results / "phases/confusion.png")
    section.figures += sorted(results.glob("phases/meltquench/*/replica*/fractions.png"))
    return section
