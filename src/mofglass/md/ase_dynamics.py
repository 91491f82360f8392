"""ASE molecular dynamics for the runner scripts that run in a model's own Python.

The reference levels' script (``calculators/runner.py``) and the model families'
(``families/runner.py``) run where mofglass is not installed; both load this file by its
path, so it imports only ASE, numpy and the standard library. Two drivers:

- :func:`bussi_chunks`: NVT with Bussi's stochastic velocity rescaling (CSVR) in
  chunks that each end with a state file (positions, momenta, thermostat energy,
  random-number state), so a rerun restarts exactly where the last chunk ended
  (reference MD, :mod:`mofglass.calculators`);
- :func:`run_stages`: a protocol's stages (Nose-Hoover chains with linear ramps, the MTK
  barostat, NVE, a minimisation at fixed cell) with the frames and thermo table of the
  LAMMPS engine (:mod:`mofglass.md.ase_engine`).

``report(done_ps, total_ps)`` is how far a run is (the scripts pass
:class:`mofglass.progress.Marker`). Units: eV, Å, fs, K (ASE's); pressures in GPa.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from pathlib import Path

import ase.io
import numpy as np
from ase import units
from ase.calculators.singlepoint import SinglePointCalculator

Report = Callable[[float, float], None]


def write_atomic(path: Path, frames) -> None:
    """Frames to an extended-XYZ file under a temporary name, then renamed: a killed
    run leaves the file whole or absent."""
    tmp = path.with_name(f".{path.name}.tmp")
    ase.io.write(tmp, frames, format="extxyz")
    os.replace(tmp, path)


def start_velocities(atoms, temperature_K: float, rng, force_temp: bool = False) -> None:
    """Maxwell-Boltzmann momenta at ``temperature_K`` (exactly it with ``force_temp``),
    the centre of mass at rest."""
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary

    MaxwellBoltzmannDistribution(atoms, temperature_K=temperature_K, rng=rng, force_temp=force_temp)
    Stationary(atoms)


# --- Bussi NVT in restartable chunks ----------------------------------------------------


def _temperature(atoms) -> float:
    """The kinetic temperature (K) with the centre of mass's 3 degrees removed."""
    ndof = 3 * len(atoms) - 3
    return 2.0 * atoms.get_kinetic_energy() / (ndof * units.kB)


def _bussi_start(atoms, args: dict):
    """The random-number generator and the thermostat's transferred energy (eV) of the
    run's start: fresh velocities from ``seed`` (no ``start``), or the state file of the
    chunk before."""
    rng = np.random.default_rng([args["seed"], 1])
    if args["start"] is None:
        start_velocities(atoms, args["temperature_K"], np.random.default_rng([args["seed"], 0]))
        return rng, 0.0
    state = json.loads(Path(args["start"]).read_text())
    atoms.positions = np.array(state["positions"])
    atoms.set_momenta(np.array(state["momenta"]))
    rng.bit_generator.state = state["rng"]
    return rng, state["transferred_energy_eV"]


def _bussi_frame(atoms, dyn, step: int, args: dict):
    """The frame of ``step`` with the step's own evaluation (cached by the calculator:
    no second call), its time (fs), temperature (K) and conserved energy (eV)."""
    results = {"energy": atoms.get_potential_energy(), "forces": atoms.get_forces()}
    if args["stress"]:
        results["stress"] = atoms.get_stress()
    frame = atoms.copy()
    frame.calc = SinglePointCalculator(frame, **results)
    epot, ekin = results["energy"], atoms.get_kinetic_energy()
    frame.info.update(
        step=step,
        time_fs=round(step * args["timestep_fs"], 6),
        temperature_inst_K=_temperature(atoms),
        conserved_eV=epot + ekin - dyn.transferred_energy,
    )
    return frame


def _save_state(chunkdir: Path, atoms, rng, dyn, seconds: float) -> None:
    """The state after a chunk's last step, written atomically to ``state.json``."""
    state = {
        "positions": atoms.positions.tolist(),
        "momenta": atoms.get_momenta().tolist(),
        "rng": rng.bit_generator.state,
        "transferred_energy_eV": dyn.transferred_energy,
        "seconds": seconds,
    }
    tmp = chunkdir / ".state.json.tmp"
    tmp.write_text(json.dumps(state))
    os.replace(tmp, chunkdir / "state.json")


def bussi_chunks(atoms, args: dict, report: Report) -> list[str]:
    """NVT MD with ASE's Bussi thermostat, chunk by chunk; the chunk folders run.

    ``atoms`` carries its calculator and masses. ``args``: ``chunks`` [{dir, first,
    nsteps}] to run in order, the first from ``start`` (a state file, or null: the
    structure with Maxwell-Boltzmann velocities from ``seed``); ``timestep_fs``,
    ``temperature_K``, ``thermostat_timecon_fs``, ``print_every``, ``stress`` and
    ``max_temperature_K``. Each chunk writes ``state.json`` and then ``frames.extxyz``
    (every ``print_every`` steps; step 0 too for the run's first chunk). A non-finite
    energy ends the chunk (mofglass reports the exploded run); a frame above
    ``max_temperature_K`` ends the run after its chunk (mofglass cuts it there)."""
    from ase.md.bussi import Bussi

    rng, transferred = _bussi_start(atoms, args)
    dyn = Bussi(
        atoms,
        timestep=args["timestep_fs"] * units.fs,
        temperature_K=args["temperature_K"],
        taut=args["thermostat_timecon_fs"] * units.fs,
        rng=rng,
    )
    dyn.transferred_energy = transferred
    done, every, fs_per_step = [], args["print_every"], args["timestep_fs"]
    end = args["chunks"][-1]["first"] + args["chunks"][-1]["nsteps"] if args["chunks"] else 0
    for chunk in args["chunks"]:
        chunkdir = Path(chunk["dir"])
        chunkdir.mkdir(parents=True, exist_ok=True)
        first, frames = chunk["first"], []
        start = time.perf_counter()
        if first == 0:
            frames.append(_bussi_frame(atoms, dyn, 0, args))
        for k in range(1, chunk["nsteps"] + 1):
            dyn.run(1)
            if k % every == 0:
                frames.append(_bussi_frame(atoms, dyn, first + k, args))
            report((first + k) * fs_per_step / 1000, end * fs_per_step / 1000)
            if not math.isfinite(atoms.get_potential_energy()):
                break
        _save_state(chunkdir, atoms, rng, dyn, time.perf_counter() - start)
        write_atomic(chunkdir / "frames.extxyz", frames)
        done.append(str(chunkdir))
        hottest = max(f.info["temperature_inst_K"] for f in frames) if frames else 0.0
        if hottest > args.get("max_temperature_K", math.inf):
            break
    return done


# --- protocol stages ------------------------------------------------------------------


def lammps_cell(cell) -> list[float]:
    """lx, ly, lz, xy, xz, yz (Å) of a cell: LAMMPS's lower-triangular form of it."""
    from ase.geometry import cell_to_cellpar, cellpar_to_cell

    h = cellpar_to_cell(cell_to_cellpar(cell))  # a along x, b in the xy plane
    return [h[0, 0], h[1, 1], h[2, 2], h[1, 0], h[2, 0], h[2, 1]]


class Thermo:
    """The thermo table of a staged run, as the LAMMPS engine writes it: one row per
    ``thermo_every`` steps (and at each stage's start), the run's step and time."""

    COLUMNS = (
        "stage step time_ps temperature_K pressure_GPa volume_A3 potential_energy_eV "
        "kinetic_energy_eV total_energy_eV lx_A ly_A lz_A xy_A xz_A yz_A"
    ).split()

    def __init__(self):
        self.rows, self.step, self.time_fs = [], 0, 0.0

    def advance(self, steps: int, timestep_fs: float) -> None:
        self.step += steps
        self.time_fs += steps * timestep_fs

    def record(self, atoms, stage: str) -> float:
        """A row of ``atoms`` now; its temperature (K)."""
        epot, ekin = atoms.get_potential_energy(), atoms.get_kinetic_energy()
        temperature = atoms.get_temperature()
        pressure = -np.trace(atoms.get_stress(voigt=False)) / 3 / units.GPa
        self.rows.append(
            [stage, self.step, self.time_fs / 1000.0, temperature, pressure, atoms.get_volume()]
            + [epot, ekin, epot + ekin]
            + lammps_cell(atoms.cell)
        )
        return temperature

    def write(self, path: Path) -> None:
        lines = ["\t".join(self.COLUMNS)] + ["\t".join(str(v) for v in r) for r in self.rows]
        path.write_text("\n".join(lines) + "\n")


def _set_target(dyn, temperature_K: float) -> None:
    """Move a Nose-Hoover chain's target temperature, masses included, as LAMMPS's
    fix nvt does during a ramp. ASE has no public setter; these are its fields."""
    thermostat = dyn._thermostat
    thermostat._kT = units.kB * temperature_K
    thermostat._Q[0] = 3 * thermostat._num_atoms_global * thermostat._kT * thermostat._tdamp**2
    thermostat._Q[1:] = thermostat._kT * thermostat._tdamp**2


def _npt(atoms, st: dict, dt: float, tdamp: float, pdamp: float):
    """ASE's MTK barostat with Nose-Hoover chains at constant pressure: the whole cell
    (``tri``), its three lengths (``aniso``) or its volume (``iso``)."""
    from ase.md.nose_hoover_chain import MTKNPT, IsotropicMTKNPT, MaskedMTKNPT

    if st.get("pressure_end_GPa") not in (None, st["pressure_GPa"]):
        raise SystemExit(f"stage {st['name']}: the ASE engine has no pressure ramps")
    common = {
        "timestep": dt,
        "temperature_K": st["temperature_K"],
        "pressure_au": st["pressure_GPa"] * units.GPa,
        "tdamp": tdamp,
        "pdamp": pdamp,
    }
    if st["cell"] == "iso":
        return IsotropicMTKNPT(atoms, **common)
    if st["cell"] == "aniso":
        return MaskedMTKNPT(atoms, mask=(True, True, True), **common)
    return MTKNPT(atoms, **common)


def _dynamics(atoms, st: dict, args: dict):
    """The ASE integrator of a dynamic stage (``nve``, ``nvt`` or ``npt``)."""
    from ase.md.nose_hoover_chain import NoseHooverChainNVT
    from ase.md.verlet import VelocityVerlet

    dt = st["timestep_fs"] * units.fs
    if st["ensemble"] == "nve":
        return VelocityVerlet(atoms, timestep=dt)
    if st["ensemble"] == "nvt":
        tdamp = args["tdamp_fs"] * units.fs
        return NoseHooverChainNVT(
            atoms, timestep=dt, temperature_K=st["temperature_K"], tdamp=tdamp
        )
    return _npt(atoms, st, dt, args["tdamp_fs"] * units.fs, args["pdamp_fs"] * units.fs)


def _minimize(atoms, iterations: int) -> None:
    """Relax the positions at fixed cell: ASE's FIRE for at most ``iterations`` steps, or
    until no atom's force is above 1e-4 eV/Å (LAMMPS's ``minimize 0.0 1.0e-4`` of the
    same stage stops at a global force norm of 1e-4 eV/Å: its cap on iterations is what
    ends a short minimisation in both). The velocities are kept, as LAMMPS keeps them."""
    from ase.optimize import FIRE

    momenta = atoms.get_momenta()
    FIRE(atoms, logfile=None).run(fmax=1e-4, steps=iterations)
    atoms.set_momenta(momenta)


def _failure(st: dict, temperature: float, factor: float | None) -> str:
    """Why a stage stops at this temperature (K): a runaway above ``factor`` times its
    target, or a non-finite temperature; empty when it goes on."""
    target = max(st["temperature_K"], st.get("temperature_end_K") or st["temperature_K"])
    if factor and st["ensemble"] != "nve" and target and temperature > factor * target:
        return f"stage {st['name']}: temperature above {factor * target:g} K (runaway)"
    if not np.isfinite(temperature):
        return f"stage {st['name']}: non-finite temperature"
    return ""


def _run_stage(atoms, st: dict, args: dict, thermo: Thermo, out: Path, report) -> str:
    """One dynamic stage, ``thermo_every`` steps at a time (a ramp's target moved to
    each block's middle), a frame every ``dump_every`` steps and at its end; why it
    stopped early, or empty."""
    dyn = _dynamics(atoms, st, args)
    t0, t1 = st["temperature_K"], st.get("temperature_end_K") or st["temperature_K"]
    n, done = st["steps"], 0
    thermo.record(atoms, st["name"])
    while done < n:
        chunk = min(st["thermo_every"], n - done)
        if st["ensemble"] != "nve" and t1 != t0:
            _set_target(dyn, t0 + (t1 - t0) * (done + chunk / 2) / n)
        dyn.run(chunk)
        done += chunk
        thermo.advance(chunk, st["timestep_fs"])
        temperature = thermo.record(atoms, st["name"])
        report(thermo.time_fs / 1000)
        if done % st["dump_every"] == 0 or done == n:
            frame = atoms.copy()
            frame.calc = None
            frame.info.update(step=thermo.step, time_ps=thermo.time_fs / 1000.0)
            ase.io.write(out / "trajectory.extxyz", frame, format="extxyz", append=True)
        failure = _failure(st, temperature, args.get("max_temperature_factor"))
        if failure:
            return failure
    return ""


def run_stages(atoms, args: dict, out: Path, report: Report) -> tuple[str, str]:
    """A protocol's stages with ASE; its verdict (``ok``/``failed``) and the reason.

    ``atoms`` carries its calculator; velocities start at ``initial_temperature_K`` (or
    the first thermostatted stage's) from ``seed``. ``args``: ``stages`` [{name,
    ensemble (nve, nvt, npt, minimize), temperature_K, temperature_end_K, pressure_GPa,
    pressure_end_GPa, cell, steps, timestep_fs, thermo_every, dump_every}],
    ``tdamp_fs``, ``pdamp_fs``, ``max_temperature_factor``. Writes ``out/thermo.tsv``
    (:class:`Thermo`) and ``out/trajectory.extxyz``. A thermostatted stage hotter than
    ``max_temperature_factor`` times its target ends the run as failed."""
    first = (
        args.get("initial_temperature_K")
        or next(st for st in args["stages"] if st["ensemble"] in ("nvt", "npt"))["temperature_K"]
    )
    start_velocities(atoms, first, np.random.default_rng(args["seed"]), force_temp=True)
    (out / "trajectory.extxyz").unlink(missing_ok=True)
    thermo = Thermo()
    dynamic = [st for st in args["stages"] if st["ensemble"] != "minimize"]
    total_ps = sum(st["steps"] * st["timestep_fs"] for st in dynamic) / 1000
    reason = ""
    for st in args["stages"]:
        if st["ensemble"] == "minimize":  # no time passes, as in LAMMPS's thermo
            thermo.record(atoms, st["name"])
            _minimize(atoms, st["steps"])
            thermo.record(atoms, st["name"])
            continue
        reason = _run_stage(atoms, st, args, thermo, out, lambda ps: report(ps, total_ps))
        if reason:
            break
    thermo.write(out / "thermo.tsv")
    return ("failed" if reason else "ok"), reason
