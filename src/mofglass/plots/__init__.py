"""Figures (PNG), one module per stage they draw; matplotlib without a display."""

from .active_learning import active_learning_plot
from .analysis import angle_plot, rdf_plot
from .base import empty_figure, save_figure
from .enhanced import convergence_plot, fes_2d_plot, fes_plot
from .md import thermo_plot
from .mechanics import eos_plot, expansion_plot, running_moduli_plot, vdos_plot
from .meltquench import committee_plot
from .phases import coexistence_plot, confusion_plot, phase_fraction_plot
from .selection import SPLIT_COLOURS, cbad_coverage, energy_distribution
from .train import comparison_plot, cost_plot, learning_curve_plot, parity_plot

__all__ = [
    "SPLIT_COLOURS",
    "active_learning_plot",
    "angle_plot",
    "cbad_coverage",
    "coexistence_plot",
    "committee_plot",
    "comparison_plot",
    "confusion_plot",
    "cost_plot",
    "convergence_plot",
    "empty_figure",
    "energy_distribution",
    "eos_plot",
    "expansion_plot",
    "fes_2d_plot",
    "fes_plot",
    "learning_curve_plot",
    "parity_plot",
    "phase_fraction_plot",
    "rdf_plot",
    "running_moduli_plot",
    "save_figure",
    "thermo_plot",
    "vdos_plot",
]
