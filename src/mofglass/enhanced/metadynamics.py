"""Well-tempered metadynamics as an MD protocol: one Langevin stage (NVE, or NPH for a
bias on the volume) with the bias through ``fix colvars`` or ``fix plumed``, run by the
MD engine (:func:`mofglass.md.run_md`), so it restarts from its last segment, runs on
the job's ranks and is stopped by the stability watch like any other MD."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from ase import Atoms

from ..lammps import LAMMPSError, has_package
from ..md import MDResult, Protocol, Stage, run_watched
from ..md.protocol import BAROSTAT_DAMPING_FS
from .bias import Bias
from .colvars import colvars_config, colvars_supports, read_colvars_hills
from .plumed import plumed_input

log = logging.getLogger(__name__)

#: What Colvars writes (``output out``) and appends to as the run goes on.
COLVARS_OUTPUTS = ("out.colvars.traj", "out.colvars.metad.hills.traj")
HILLS = "out.colvars.metad.hills.traj"


def has_plumed() -> bool:
    """Whether the installed LAMMPS has its PLUMED package (a PLUMED kernel)."""
    return has_package("PLUMED")


def bias_commands(backend: str, seed: int) -> tuple[str, ...]:
    """The LAMMPS commands of the bias: ``fix colvars`` (colvars.in) or ``fix plumed``
    (plumed.dat), its energy counted in the potential energy."""
    if backend == "colvars":
        fix = (
            f"fix mofglass_bias all colvars colvars.in output out seed {seed} tstat mofglass_tstat"
        )
    elif backend == "plumed":
        fix = "fix mofglass_bias all plumed plumedfile plumed.dat outfile plumed.log"
    else:
        raise ValueError(f"unknown backend {backend!r}: colvars or plumed")
    return (fix, "fix_modify mofglass_bias energy yes")


def metadynamics_protocol(
    bias: Bias, settings: Mapping, n_atoms: int, backend: str = "colvars"
) -> Protocol:
    """The run of a bias's settings (:func:`run_settings`) as a protocol: ``steps`` of
    Langevin dynamics at the bias's temperature (K), ``timestep_fs``, damping
    ``langevin_damping_fs``; NPH at ``pressure_GPa`` for a bias on the volume; velocities
    drawn with ``seed``, the thermostat's seed + 1, Colvars's + 2; a restart point every
    ``segment_steps`` (none: one segment); the temperature watch at
    ``max_temperature_factor`` times the bias's (none: no watch)."""
    many = n_atoms > 2  # a lone particle keeps its momentum: the thermostat heats it
    stage = Stage(
        "metadynamics",
        "langevin_nph" if bias.on_volume else "langevin",
        temperature_K=bias.temperature_K,
        pressure_GPa=settings.get("pressure_GPa", 0.0) if bias.on_volume else 0.0,
        steps=settings["steps"],
        timestep_fs=settings["timestep_fs"],
        thermo_every=settings["thermo_every"],
        dump_every=settings["dump_every"],
    )
    return Protocol(
        (stage,),
        thermostat_damping_fs=settings["langevin_damping_fs"],
        barostat_damping_fs=settings.get("barostat_damping_fs", BAROSTAT_DAMPING_FS),
        seed=settings["seed"],
        initial_temperature_K=None if many else 0.0,
        max_temperature_factor=settings.get("max_temperature_factor"),
        segment_steps=settings.get("segment_steps"),
        bias=bias_commands(backend, settings["seed"] + 2),
        bias_outputs=COLVARS_OUTPUTS if backend == "colvars" else ("plumed.log", "HILLS"),
        zero_momentum=many,
    )


def write_bias_inputs(bias: Bias, workdir: Path, backend: str) -> None:
    """``plumed.dat`` and, where Colvars can express the bias, ``colvars.in`` (both
    backends' inputs, from the same description)."""
    workdir.mkdir(parents=True, exist_ok=True)
    if backend == "colvars" or colvars_supports(bias):
        (workdir / "colvars.in").write_text(colvars_config(bias))
    (workdir / "plumed.dat").write_text(plumed_input(bias))


def run_metadynamics(
    atoms: Atoms,
    model,
    bias: Bias,
    settings: Mapping,
    workdir,
    backend: str = "colvars",
    watch: Mapping | None = None,
) -> tuple[MDResult, dict, object]:
    """Run well-tempered metadynamics under the stability watch of a ``watch`` config
    block (none: close contacts only, as the engine's temperature watch); returns the
    MD result, its verdict row (:func:`mofglass.md.run_watched`) and the hills table
    (Colvars, a run that ended; None for PLUMED, whose HILLS file is for ``plumed
    sum_hills``). A rerun
    in the same ``workdir`` resumes from the last restart point."""
    if backend == "plumed" and not has_plumed():
        raise LAMMPSError("this LAMMPS has no PLUMED package (no PLUMED kernel installed)")
    if not model.pair_styles:  # else LAMMPS would move free atoms and call it a FES
        raise LAMMPSError(
            f"metadynamics runs in LAMMPS, and model {model.name!r} ({model.type}) has no "
            "LAMMPS pair style here: it runs through ASE (a LAMMPS with its family's "
            "pair style runs it)"
        )
    workdir = Path(workdir).resolve()
    write_bias_inputs(bias, workdir, backend)
    if watch is not None:  # the temperature watch of the structural one's block
        settings = {"max_temperature_factor": watch.get("max_temperature_factor"), **settings}
    protocol = metadynamics_protocol(bias, settings, len(atoms), backend)
    result, row = run_watched(model, atoms, protocol, workdir, watch, run="metadynamics")
    ran = result.verdict == "ok" and backend == "colvars"
    return result, row, read_colvars_hills(workdir / HILLS) if ran else None


#: Keys of a bias's config block that the run itself reads.
RUN_KEYS = (
    "timestep_fs",
    "langevin_damping_fs",
    "seed",
    "thermo_every",
    "dump_every",
    "steps",
    "segment_steps",
    "max_temperature_factor",
    "pressure_GPa",
    "barostat_damping_fs",
)


def run_settings(block: Mapping) -> dict:
    """The run settings of a bias's config block (:func:`run_metadynamics`)."""
    return {k: block[k] for k in RUN_KEYS if k in block}
