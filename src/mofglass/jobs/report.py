"""Stage 16, the report: every stage's section, from the files the workflow names
(``rules/report.smk``), on one self-contained page.

Jobs read files, call science, write files; they never import each other.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from .. import report
from ..atomicio import write_text

log = logging.getLogger(__name__)

UNITS = (
    "Units: energies meV/atom, forces meV/Å, stress MPa, moduli GPa, density g/cm³, pore "
    "volume cm³/kg, angles °, temperatures K, PMFs kJ/mol."
)


def report_job(
    files: Mapping[str, Sequence[str]], settings: Mapping, output: str, comparison_figure: str
) -> None:
    """Write the report: ``files`` are the rule's named inputs (each stage's, see
    :mod:`mofglass.report`); ``settings`` the config's name, models, analysis sources,
    mechanics models and sample kinds, enhanced runs, figure captions, the framework of
    each sample group and enhanced run (whose published values apply), and for the
    provenance the resolved config, the checkout, the environments used, the CP2K
    command and the benchmark folder. The summary opens the page, provenance ends it."""
    captions = settings.get("captions", {})
    stages = [
        report.repair.section(files, captions),
        report.selection.section(files, captions),
        report.train.section(files, settings["models"], comparison_figure, captions),
        report.active_learning.section(files, captions),
        report.meltquench.section(files, captions),
        report.analysis.section(files, settings["sources"], captions),
        report.cross_check.section(files),
        report.mechanics.section(
            files,
            settings["mechanics_models"],
            settings["mechanics_kinds"],
            captions,
            settings.get("frameworks", {}),
        ),
        report.enhanced.section(
            files, settings["enhanced_runs"], captions, settings.get("frameworks", {})
        ),
        report.phases.section(files, captions),
        report.coexistence.section(files, captions, settings.get("frameworks", {})),
    ]
    stages = [s for s in stages if s is not None]
    models = report.train.comparison(files, settings["models"])
    sections = [report.summary.section(files, settings, models, stages), *stages]
    if "config" in settings:
        sections.append(
            report.provenance.section(
                settings["config"],
                settings["root"],
                settings["environments"],
                settings["cp2k_command"],
                sorted(Path(settings["benchmarks"]).rglob("*.tsv")),
            )
        )
    intro = f"Config: {html.escape(settings['config_name'])}. {UNITS}"
    rehearsal = settings.get("config", {}).get("rehearsal")
    if rehearsal:
        intro = (
            f"<strong class='failed'>A rehearsal of {html.escape(rehearsal['of'])}</strong>: "
            "the same structures, levels of theory, architectures and protocols with the "
            "lengths cut, so that every rule ran once at its real sizes. Its numbers are "
            f"not results. {intro}"
        )
    text = report.render("mofglass report", sections, intro)
    write_text(output, text)
    log.info("report: %s (%d sections, %.1f MB)", output, len(sections), len(text) / 1e6)
