"""Well-tempered metadynamics in LAMMPS: NVE (or NPH for a bias on the volume) with a
Langevin thermostat and the bias through ``fix colvars`` or ``fix plumed``."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Mapping
from pathlib import Path

from ..lammps import LAMMPSError, has_package, new_lammps, report_progress, write_data
from ..md.protocol import BAROSTAT_DAMPING_FS, fs_to_ps
from ..progress import Progress
from .bias import Bias
from .colvars import colvars_config, colvars_supports, read_colvars_hills
from .plumed import plumed_input

log = logging.getLogger(__name__)


def has_plumed() -> bool:
    """Whether the installed LAMMPS has its PLUMED package (a PLUMED kernel)."""
    return has_package("PLUMED")


def lammps_input(
    model, bias: Bias, settings: Mapping, backend: str, data_file: str, n_atoms: int
) -> str:
    """A LAMMPS input (metal units) for metadynamics: NVE with a Langevin thermostat and
    the bias through ``fix colvars`` (colvars.in) or ``fix plumed`` (plumed.dat). A bias
    on the volume runs NPH (isotropic, ``settings['pressure_GPa']``, barostat damping
    ``barostat_damping_fs``) under the same thermostat."""
    temperature = bias.temperature_K
    if bias.on_volume:
        bar = settings["pressure_GPa"] * 1e4
        damp = fs_to_ps(settings.get("barostat_damping_fs", BAROSTAT_DAMPING_FS))
        integrator = f"fix mofglass_nve all nph iso {bar!r} {bar!r} {damp!r}"
    else:
        integrator = "fix mofglass_nve all nve"
    damping_ps = fs_to_ps(settings["langevin_damping_fs"])
    many = n_atoms > 2  # a lone particle keeps its momentum and its random force
    lines = [
        "# written by mofglass.enhanced",
        "units metal",
        "atom_style atomic",
        "atom_modify map array",
        f"read_data {data_file}",
        *model.commands(),
        "neighbor 2.0 bin",
        f"timestep {fs_to_ps(settings['timestep_fs'])!r}",
        f"velocity all create {temperature!r} {settings['seed']} mom yes rot yes dist gaussian"
        if many
        else "# a lone particle: the Langevin thermostat gives it its temperature",
        integrator,
        f"fix mofglass_tstat all langevin {temperature!r} {temperature!r} {damping_ps!r} "
        f"{settings['seed'] + 1} zero {'yes' if many else 'no'}",
    ]
    if backend == "colvars":
        lines.append(
            f"fix mofglass_bias all colvars colvars.in output out seed {settings['seed'] + 2} "
            "tstat mofglass_tstat"
        )
    elif backend == "plumed":
        lines.append("fix mofglass_bias all plumed plumedfile plumed.dat outfile plumed.log")
    else:
        raise ValueError(f"unknown backend {backend!r}: colvars or plumed")
    lines += [
        "fix_modify mofglass_bias energy yes",
        "thermo_style custom step time temp pe ke etotal f_mofglass_bias",
        f"thermo {settings['thermo_every']}",
        f"dump mofglass_dump all custom {settings['dump_every']} dump.lammpstrj id type x y z",
        "dump_modify mofglass_dump sort id",
        f"run {settings['steps']}",
    ]
    return "\n".join(lines) + "\n"


def run_metadynamics(atoms, model, bias: Bias, settings: Mapping, workdir, backend="colvars"):
    """Run well-tempered metadynamics; returns the hills table (Colvars) and the wall
    time (s). Writes ``in.lammps`` with ``plumed.dat`` and, where Colvars can express
    the bias, ``colvars.in`` (both backends' inputs, from the same description) into
    ``workdir``."""
    if backend == "plumed" and not has_plumed():
        raise LAMMPSError("this LAMMPS has no PLUMED package (no PLUMED kernel installed)")
    if not model.pair_styles:  # else LAMMPS would move free atoms and call it a FES
        raise LAMMPSError(
            f"metadynamics runs in LAMMPS, and model {model.name!r} ({model.type}) has no "
            "LAMMPS pair style here: it runs through ASE (a LAMMPS with its family's "
            "pair style runs it)"
        )
    model.check(atoms)
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    for stale in workdir.glob("out.*"):  # a previous run's Colvars outputs
        stale.unlink()
    write_data(workdir / "structure.data", atoms, model.species, skew=True)
    if backend == "colvars" or colvars_supports(bias):
        (workdir / "colvars.in").write_text(colvars_config(bias))
    (workdir / "plumed.dat").write_text(plumed_input(bias))
    text = lammps_input(model, bias, settings, backend, "structure.data", len(atoms))
    (workdir / "in.lammps").write_text(text)
    lmp = new_lammps()
    start = time.perf_counter()
    try:
        with contextlib.chdir(workdir):
            lmp.command("log log.lammps")
            *setup, run = text.strip().splitlines()
            lmp.commands_list(setup)
            ps = settings["timestep_fs"] / 1000
            pace = Progress(
                f"metadynamics {workdir.parent.name}/{workdir.name}",
                settings["steps"] * ps,
                "ps",
                log,
                rate_unit="steps/s",
                rate_per_unit=1 / ps,
            )
            report_progress(lmp, pace, settings["thermo_every"], scale=ps)
            lmp.command(run)
    except Exception as exc:  # LAMMPS raises plain Exception with its message
        raise LAMMPSError(f"metadynamics in {workdir}: {str(exc).strip()}") from exc
    finally:
        lmp.close()
    seconds = time.perf_counter() - start
    hills = (
        read_colvars_hills(workdir / "out.colvars.metad.hills.traj")
        if backend == "colvars"
        else None
    )
    return hills, seconds


#: Keys of a bias's config block that the run itself reads.
RUN_KEYS = (
    "timestep_fs",
    "langevin_damping_fs",
    "seed",
    "thermo_every",
    "dump_every",
    "steps",
    "pressure_GPa",
    "barostat_damping_fs",
)


def run_settings(block: Mapping) -> dict:
    """The run settings of a bias's config block (:func:`run_metadynamics`)."""
    return {k: block[k] for k in RUN_KEYS if k in block}
