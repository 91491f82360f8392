"""The MD engine: a protocol written as data (:mod:`.protocol`), the pipeline's recipes
(:mod:`.recipes`), the stability watch (:mod:`.watch`), and two engines with the same
outputs and verdicts: LAMMPS through its Python module, restartable (:mod:`.lammps_engine`,
:mod:`.restart`), and ASE with a model family's own calculator (:mod:`.ase_engine`).
:func:`run_watched` is what a job calls."""

from .checks import config_errors
from .lammps_engine import read_dump, read_thermo
from .lammps_input import lammps_input
from .protocol import Protocol, Stage, damping_times, steps
from .result import MDResult
from .run import run_md, run_watched, use_ranks
from .spec import RunSpec
from .watch import StabilityWatch, with_chemistry

__all__ = [
    "RunSpec",
    "config_errors",
    "MDResult",
    "Protocol",
    "StabilityWatch",
    "with_chemistry",
    "Stage",
    "damping_times",
    "lammps_input",
    "read_dump",
    "read_thermo",
    "run_md",
    "run_watched",
    "steps",
    "use_ranks",
]
