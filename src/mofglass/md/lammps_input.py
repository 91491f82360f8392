"""A protocol as a LAMMPS input (metal units): a header, then one block per stage,
standalone (``lmp -in in.lammps`` from the work directory runs it).

Thermo columns: stage, step, time_ps, temperature_K, pressure_GPa, volume_A3,
density_g_cm3, potential_energy_eV, kinetic_energy_eV, total_energy_eV, and the cell
lx_A, ly_A, lz_A, xy_A, xz_A, yz_A (LAMMPS's lower-triangular cell).
"""

from __future__ import annotations

from ..models import Model
from .protocol import Protocol, Stage, fs_to_ps

THERMO_KEYWORDS = "step time temp press vol density pe ke etotal lx ly lz xy xz yz"
THERMO_COLUMNS = {
    "Step": "step",
    "Time": "time_ps",
    "Temp": "temperature_K",
    "Press": "pressure_GPa",
    "Volume": "volume_A3",
    "Density": "density_g_cm3",
    "PotEng": "potential_energy_eV",
    "KinEng": "kinetic_energy_eV",
    "TotEng": "total_energy_eV",
    "Lx": "lx_A",
    "Ly": "ly_A",
    "Lz": "lz_A",
    "Xy": "xy_A",
    "Xz": "xz_A",
    "Yz": "yz_A",
}
BAR_TO_GPA = 1e-4


def lammps_blocks(protocol: Protocol, model: Model, data_file: str) -> list[str]:
    """The LAMMPS input of a protocol (metal units): a header, then one block per stage.

    Each dynamic stage carries a temperature watch (``fix halt``): the stage stops when
    T exceeds ``protocol.max_temperature_factor`` times its highest target.
    """
    header = [
        "# written by mofglass.md",
        "units metal",
        "atom_style atomic",
        "atom_modify map array",
        f"read_data {data_file}",
        *model.commands(),
        "neighbor 2.0 bin",
        "neigh_modify every 1 delay 0 check yes",
        f"thermo_style custom {THERMO_KEYWORDS}",
        "thermo_modify norm no flush yes lost error",
        "variable mofglass_temp equal temp",
    ]
    blocks = ["\n".join(header)]
    velocities = False  # drawn once, at the first dynamic stage
    for k, stage in enumerate(protocol.stages):
        lines, velocities = _stage_lines(protocol, k, stage, velocities)
        blocks.append("\n".join(lines))
    return blocks


def _stage_lines(
    protocol: Protocol, k: int, stage: Stage, velocities: bool
) -> tuple[list[str], bool]:
    """The block of stage ``k``, and whether velocities have been drawn after it."""
    tdamp = fs_to_ps(protocol.thermostat_damping_fs)
    pdamp = fs_to_ps(protocol.barostat_damping_fs)
    lines = [
        f"# stage {k}: {stage.name} ({stage.ensemble})",
        f"thermo {stage.thermo_every}",
        f"dump mofglass_dump all custom {stage.dump_every} dump.lammpstrj id type x y z vx vy vz",
        "dump_modify mofglass_dump sort id append yes",
    ]
    if stage.ensemble == "minimize":
        lines.append(f"minimize 0.0 1.0e-4 {stage.max_iterations} {10 * stage.max_iterations}")
        return [*lines, "undump mofglass_dump"], velocities
    lines.append(f"timestep {fs_to_ps(stage.timestep_fs)!r}")
    if not velocities:
        t0 = protocol.initial_temperature_K
        if t0 is None:
            t0 = stage.temperature_K if stage.temperature_K is not None else 0.0
        if t0 > 0:
            lines.append(
                f"velocity all create {t0!r} {protocol.seed} mom yes rot yes dist gaussian"
            )
    t1 = stage.temperature_K
    t2 = stage.temperature_end_K if stage.temperature_end_K is not None else t1
    if stage.ensemble == "nve":
        lines.append("fix mofglass_int all nve")
    elif stage.ensemble == "nvt":
        lines.append(f"fix mofglass_int all nvt temp {t1!r} {t2!r} {tdamp!r}")
    elif stage.ensemble.startswith("langevin"):
        lines += _langevin(protocol, stage, t1, t2, tdamp, pdamp)
    else:
        p1 = stage.pressure_GPa / BAR_TO_GPA
        p_end = stage.pressure_end_GPa
        p2 = (stage.pressure_GPa if p_end is None else p_end) / BAR_TO_GPA
        lines.append(
            f"fix mofglass_int all npt temp {t1!r} {t2!r} {tdamp!r} "
            f"{stage.cell} {p1!r} {p2!r} {pdamp!r}"
        )
    limit = watch_limit(protocol, stage)
    if limit is not None:
        lines.append(
            f"fix mofglass_watch all halt {stage.thermo_every} v_mofglass_temp > "
            f"{limit!r} error soft message yes"
        )
    lines += _run_lines(stage.n_steps, protocol.segment_steps)
    lines.append("unfix mofglass_int")
    if stage.ensemble.startswith("langevin"):
        lines.append("unfix mofglass_tstat")
        lines += ["unfix mofglass_bias"] if protocol.bias else []
    if limit is not None:
        lines.append("unfix mofglass_watch")
    return [*lines, "undump mofglass_dump"], True


def _langevin(
    protocol: Protocol, stage: Stage, t1: float, t2: float, tdamp: float, pdamp: float
) -> list[str]:
    """The integrator, Langevin thermostat (seed: the protocol's + 1) and bias of a
    Langevin stage."""
    if stage.ensemble == "langevin_nph":
        bar = stage.pressure_GPa / BAR_TO_GPA
        integrator = f"fix mofglass_int all nph iso {bar!r} {bar!r} {pdamp!r}"
    else:
        integrator = "fix mofglass_int all nve"
    zero = "yes" if protocol.zero_momentum else "no"
    thermostat = (
        f"fix mofglass_tstat all langevin {t1!r} {t2!r} {tdamp!r} {protocol.seed + 1} zero {zero}"
    )
    return [integrator, thermostat, *protocol.bias]


def _run_lines(steps: int, segment: int | None) -> list[str]:
    """``run`` commands for a stage: one, or segments of ``segment`` steps that keep a
    ramp's start and stop (``run N start S stop E``), so the run can be checked between
    them."""
    if not segment or steps <= segment:
        return [f"run {steps}"]
    lines = ["variable mofglass_s0 equal $(step)", f"variable mofglass_s1 equal $(step+{steps})"]
    done = 0
    while done < steps:
        n = min(segment, steps - done)
        lines.append(f"run {n} start ${{mofglass_s0}} stop ${{mofglass_s1}}")
        done += n
    return lines


def watch_limit(protocol: Protocol, stage: Stage) -> float | None:
    """Temperature (K) above which a stage is stopped as a runaway."""
    if protocol.max_temperature_factor is None:
        return None
    targets = [t for t in (stage.temperature_K, stage.temperature_end_K) if t is not None]
    if not targets and protocol.initial_temperature_K:
        targets = [protocol.initial_temperature_K]
    return protocol.max_temperature_factor * max(targets) if targets else None


def lammps_input(protocol: Protocol, model: Model, data_file: str) -> str:
    """The whole input as one file, runnable with ``lmp -in in.lammps``."""
    return "\n".join(lammps_blocks(protocol, model, data_file)) + "\n"
