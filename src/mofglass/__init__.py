"""mofglass: machine-learning interatomic potentials for MOFs and their glasses.

Units follow ASE throughout: eV, Å, fs and amu internally; stress in eV/Å³ with
ASE's sign convention (positive = tensile); GPa and K when reporting.
"""

__version__ = "0.1.0"
