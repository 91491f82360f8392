"""SNAP: a potential linear in bispectrum components (Thompson et al.), fitted here.

Descriptors come from LAMMPS's ``compute snap`` (ML-SNAP package) through its Python
module: per frame one energy row (bispectrum sums per element), 3N force rows and six
virial rows, plus the contributions of an optional reference potential (ZBL core
repulsion, walls) which the fit subtracts from the targets. The coefficients are a weighted
ridge solution; each element also gets a constant term, its reference energy (eV).
Hyper-parameters (cutoff factor, element radii and weights, regularisation) are tuned
against the validation split with SciPy.

Units: energies eV (rows per atom), forces eV/Å, stress rows GPa (ASE sign: positive
is tensile). Rows are built in LAMMPS's frame; targets are rotated into it.

The fitting itself is written here rather than taken from FitSNAP because FitSNAP is
not on PyPI and needs its own MPI stack; what it does for a linear SNAP is small:
build rows with ``compute snap``, weight them, solve a least-squares problem.

The package holds one concern per module: :mod:`.reference` (the reference potential),
:mod:`.settings` (bispectrum settings and the LAMMPS files), :mod:`.rows` (design-matrix
rows from ``compute snap``) and :mod:`.fit` (the fit and its tuning).
"""

from .fit import Fit, bootstrap_members, fit, fit_alpha, predict, solve, weighted_rmse
from .reference import ZBL, Keepers, PairSplines, Walls, type_pairs
from .rows import Rows, RowWeights, frame_rows, system
from .settings import COEFF_FILE, KEEPER_FILE, PARAM_FILE, TABLE_FILE, SNAPSettings

__all__ = [
    "COEFF_FILE",
    "KEEPER_FILE",
    "PARAM_FILE",
    "TABLE_FILE",
    "ZBL",
    "Fit",
    "Keepers",
    "PairSplines",
    "RowWeights",
    "Rows",
    "SNAPSettings",
    "Walls",
    "bootstrap_members",
    "fit",
    "fit_alpha",
    "frame_rows",
    "predict",
    "solve",
    "system",
    "type_pairs",
    "weighted_rmse",
]
