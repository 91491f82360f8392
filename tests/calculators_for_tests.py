"""User calculators (``module:Class``) for the calculator-level tests: one whose forces
are not finite, one that fails, one that heats. Imported by the runner subprocess
through PYTHONPATH."""

import numpy as np
from ase.calculators.calculator import Calculator, all_changes


class NaNForces(Calculator):
    """Zero energy and stress, NaN forces: the quality gate must quarantine it."""

    implemented_properties = ["energy", "forces", "stress"]

    def calculate(self, atoms=None, properties=None, system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.results = {
            "energy": 0.0,
            "forces": np.full((len(self.atoms), 3), np.nan),
            "stress": np.zeros(6),
        }


class Broken(Calculator):
    """Raises, as a calculator whose environment is broken would."""

    implemented_properties = ["energy", "forces", "stress"]

    def calculate(self, atoms=None, properties=None, system_changes=all_changes):
        raise RuntimeError("the license server is down")


class Heater(Calculator):
    """Zero energy with outward forces c (r - r_centre) (eV/Å), which do work the
    energy does not account for: a run heats without bound and its conserved quantity
    drifts, as a broken reference level would make it."""

    implemented_properties = ["energy", "forces", "stress"]

    def __init__(self, strength=2.0, **kwargs):
        super().__init__(**kwargs)
        self.strength = strength

    def calculate(self, atoms=None, properties=None, system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        positions = self.atoms.positions
        self.results = {
            "energy": 0.0,
            "forces": self.strength * (positions - positions.mean(axis=0)),
            "stress": np.zeros(6),
        }
