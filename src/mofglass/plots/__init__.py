"""Figures (PNG), one module per stage they draw; matplotlib without a display.

The figure functions are imported on first use (PEP 562): a job that draws nothing does
not pay matplotlib's half a second of imports.
"""

from importlib import import_module

#: Each public name and the module that defines it.
_WHERE = {
    "SPLIT_COLOURS": "selection",
    "active_learning_plot": "active_learning",
    "angle_plot": "analysis",
    "cbad_coverage": "selection",
    "coexistence_plot": "phases",
    "committee_plot": "meltquench",
    "comparison_plot": "train",
    "confusion_plot": "phases",
    "convergence_plot": "enhanced",
    "cost_plot": "train",
    "empty_figure": "base",
    "energy_distribution": "selection",
    "eos_plot": "mechanics",
    "expansion_plot": "mechanics",
    "fes_2d_plot": "enhanced",
    "fes_plot": "enhanced",
    "learning_curve_plot": "train",
    "parity_plot": "train",
    "phase_fraction_plot": "phases",
    "rdf_plot": "analysis",
    "repair_plot": "repair",
    "running_moduli_plot": "mechanics",
    "save_figure": "base",
    "thermo_plot": "md",
    "vdos_plot": "mechanics",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
