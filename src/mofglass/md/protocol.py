"""MD protocols as data: stages, the thermostat and barostat damping, the velocity
seed, and the conversions from ps to steps, defined once for every recipe and engine.

A protocol is a list of stages, each one of

``minimize``  energy minimisation (fixed cell)
``nve``       microcanonical
``nvt``       Nosé-Hoover, fixed or linearly ramped temperature
``npt``       Nosé-Hoover thermostat and barostat (``iso``, ``aniso`` or ``tri`` cell),
              fixed or ramped temperature and pressure
``langevin``  velocity Verlet under a Langevin thermostat (fixed cell): what a bias
              (metadynamics) runs under, whose heat a Nosé-Hoover chain would ring with
``langevin_nph``  the same with an isotropic Nosé-Hoover barostat at ``pressure_GPa``

with its duration (ps) or number of steps, time step (fs), and how often thermo rows and
trajectory frames are written. Units: K, GPa, ps for durations, fs for time steps and
damping times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

ENSEMBLES = ("minimize", "nve", "nvt", "npt", "langevin", "langevin_nph")
#: Ensembles with a thermostat, which need a temperature.
THERMOSTATTED = ("nvt", "npt", "langevin", "langevin_nph")
#: Nosé-Hoover damping times (fs) when a config gives none: 100 and 1000 time steps of
#: 1 fs, LAMMPS's advice for metal units.
THERMOSTAT_DAMPING_FS = 100.0
BAROSTAT_DAMPING_FS = 1000.0


def fs_to_ps(time_fs: float) -> float:
    """A time in ps (LAMMPS metal units) from fs."""
    return time_fs / 1000.0


def steps(duration_ps: float, timestep_fs: float) -> int:
    """Time steps in ``duration_ps`` at ``timestep_fs`` (rounded to the nearest)."""
    return int(round(duration_ps * 1000.0 / timestep_fs))


def damping_times(damping: Mapping | None) -> dict[str, float]:
    """The thermostat and barostat damping times (fs) of a config's ``md`` block, with
    the defaults for what it does not give; keyword arguments of :class:`Protocol`."""
    damping = dict(damping or {})
    return {
        "thermostat_damping_fs": damping.get("thermostat_damping_fs", THERMOSTAT_DAMPING_FS),
        "barostat_damping_fs": damping.get("barostat_damping_fs", BAROSTAT_DAMPING_FS),
    }


@dataclass(frozen=True)
class Stage:
    """One protocol stage; temperatures in K, pressures in GPa, times in ps and fs."""

    name: str
    ensemble: str
    temperature_K: float | None = None
    temperature_end_K: float | None = None
    pressure_GPa: float = 0.0
    pressure_end_GPa: float | None = None
    cell: str = "iso"
    duration_ps: float | None = None
    steps: int | None = None
    timestep_fs: float = 0.5
    thermo_every: int = 10
    dump_every: int = 100
    max_iterations: int = 1000

    @classmethod
    def from_config(cls, block: Mapping) -> Stage:
        stage = cls(**block)
        if stage.ensemble not in ENSEMBLES:
            raise ValueError(f"stage {stage.name}: unknown ensemble {stage.ensemble!r}")
        if stage.ensemble in THERMOSTATTED and stage.temperature_K is None:
            raise ValueError(f"stage {stage.name}: {stage.ensemble} needs temperature_K")
        if stage.ensemble != "minimize" and (stage.duration_ps is None) == (stage.steps is None):
            raise ValueError(f"stage {stage.name}: give exactly one of duration_ps and steps")
        return stage

    @property
    def n_steps(self) -> int:
        if self.ensemble == "minimize":
            return self.max_iterations
        if self.steps is not None:
            return int(self.steps)
        return steps(self.duration_ps, self.timestep_fs)


@dataclass(frozen=True)
class Protocol:
    """Stages run in order; damping times (fs) of the thermostat (Nosé-Hoover or
    Langevin) and barostat; seed of the initial velocities (drawn at the first dynamic
    stage's temperature unless ``initial_temperature_K`` is given; 0 draws none); a stage
    whose temperature exceeds ``max_temperature_factor`` times its target is stopped
    (None: no watch).

    ``bias`` holds LAMMPS commands set after the thermostat of every Langevin stage (a
    ``fix mofglass_bias … colvars``, whose ``tstat`` is ``mofglass_tstat``); they run in
    LAMMPS only. ``bias_outputs`` names the files they append to, cut back with the log
    on a resume and removed before a fresh start. ``zero_momentum``: the Langevin random
    forces sum to zero (False for a lone particle, which nothing else balances)."""

    stages: tuple[Stage, ...]
    thermostat_damping_fs: float = THERMOSTAT_DAMPING_FS
    barostat_damping_fs: float = BAROSTAT_DAMPING_FS
    seed: int = 1
    initial_temperature_K: float | None = None
    max_temperature_factor: float | None = 3.0
    segment_steps: int | None = None
    bias: tuple[str, ...] = ()
    bias_outputs: tuple[str, ...] = ()
    zero_momentum: bool = True

    @classmethod
    def from_config(cls, block: Mapping, damping: Mapping | None = None) -> Protocol:
        return cls(
            stages=tuple(Stage.from_config(s) for s in block["stages"]),
            **damping_times(damping),
            seed=block.get("seed", 1),
            initial_temperature_K=block.get("initial_temperature_K"),
            max_temperature_factor=block.get("max_temperature_factor", 3.0),
            segment_steps=block.get("segment_steps"),
        )

    def __post_init__(self):
        if self.seed < 1:
            raise ValueError(
                f"the velocity seed must be a positive integer (LAMMPS), got {self.seed}"
            )
