"""The report: one self-contained HTML page (:mod:`.page`) whose sections each stage
contributes from its own module here, from the files the workflow hands it (named
inputs of ``rules/report.smk``; no path is built here)."""

from . import (
    active_learning,
    analysis,
    coexistence,
    cross_check,
    enhanced,
    mechanics,
    meltquench,
    phases,
    provenance,
    repair,
    selection,
    summary,
    train,
)
from .page import Section, compare, failures, references, render, shown

__all__ = [
    "coexistence",
    "Section",
    "active_learning",
    "analysis",
    "compare",
    "cross_check",
    "enhanced",
    "failures",
    "mechanics",
    "meltquench",
    "phases",
    "provenance",
    "references",
    "render",
    "repair",
    "selection",
    "shown",
    "summary",
    "train",
]
