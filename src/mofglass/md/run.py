"""Running a protocol: the engine is chosen by the model (LAMMPS when it has a pair
style here, else ASE with the model's own calculator), the stability watch looks at
every frame, and the run comes back with its verdict."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path

from ase import Atoms

from ..chemistry import inherit_types
from ..models import Model
from .ase_engine import run_ase
from .lammps_engine import run_lammps
from .mpi import run_on_ranks
from .protocol import Protocol
from .result import MDResult, Watch
from .watch import StabilityWatch

log = logging.getLogger(__name__)


def run_md(
    atoms: Atoms,
    model: Model,
    protocol: Protocol,
    workdir: str | Path,
    watch: Watch = None,
) -> MDResult:
    """Run ``protocol`` on ``atoms`` with ``model`` in ``workdir``.

    Checks first that the model knows every element of the structure and, for LAMMPS,
    that LAMMPS has its pair styles (:class:`~mofglass.lammps.LAMMPSError` otherwise).
    A run that goes wrong (temperature runaway, lost atoms, any LAMMPS error, a problem
    ``watch`` returns for a frame) stops there and comes back with ``verdict='failed'``,
    the reason and the time (ps); later stages are not run.
    """
    model.check(atoms)
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    if model.is_family and not model.pair_commands:  # no LAMMPS deployment: ASE
        result = run_ase(atoms, model, protocol, workdir, watch)
    elif _ranks > 1:
        result = run_on_ranks(atoms, model, protocol, workdir, watch, _ranks)
    else:
        result = run_lammps(atoms, model, protocol, workdir, watch)
    inherit_types(result.frames, atoms)  # the types the run had, whatever breaks in it
    return result


#: MPI ranks of a LAMMPS run (:func:`use_ranks`).
_ranks = 1


def use_ranks(ranks: int) -> None:
    """Run LAMMPS on ``ranks`` MPI ranks from now on (a job's cores: ``snakemake.threads``
    of an MD rule, ``md.ranks`` in the config); 1 runs it in this process."""
    global _ranks
    if int(ranks) < 1:
        raise ValueError(f"MD needs at least one MPI rank, got {ranks}")
    _ranks = int(ranks)


def run_watched(
    model: Model,
    atoms: Atoms,
    protocol: Protocol,
    workdir: str | Path,
    watch: Mapping | None = None,
    **labels,
) -> tuple[MDResult, dict]:
    """:func:`run_md` under the stability watch of a config's ``watch`` block (none if
    ``watch`` is None), timed; returns the result and its verdict row: ``labels``, model,
    n_atoms, verdict, reason, failed_at_ps, simulated_ps, wall_s."""
    problems = StabilityWatch.from_config(atoms, watch).problems if watch else None
    start = time.perf_counter()
    result = run_md(atoms, model, protocol, workdir, watch=problems)
    seconds = time.perf_counter() - start
    row = result.row(model=model.name, **labels, n_atoms=len(atoms))
    row["wall_s"] = seconds
    log.info(
        "%s %s: %s after %.3f ps in %.1f s %s",
        model.name,
        " ".join(f"{k}={v}" for k, v in labels.items()),
        result.verdict,
        result.simulated_ps,
        seconds,
        result.reason,
    )
    return result, row
