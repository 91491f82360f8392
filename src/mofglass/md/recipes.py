"""The protocols of the pipeline's MD, one recipe each: melt-quench (Castel et al.),
active-learning exploration, the mechanics scans (equilibration then production), the
phase classifier's NVT holds, and the cost measurement. Each takes its config block and
returns a :class:`~mofglass.md.protocol.Protocol`. Temperatures K, pressures GPa,
rates K/ps, durations ps, damping fs.
"""

from __future__ import annotations

from collections.abc import Mapping

from .protocol import Protocol, Stage, damping_times, steps

#: Steps between two looks of the stability watch in an exploration run (0.1 ps at
#: 0.5 fs): a run that broke stops soon after, instead of running on in a state no label
#: should describe.
EXPLORE_SEGMENT_STEPS = 200


def meltquench(block: Mapping, seed: int, damping: Mapping | None = None) -> Protocol:
    """Castel et al.'s melt-quench as stages: equilibrate at the start temperature, heat
    at a constant rate, hold at the maximum, quench at a constant rate, equilibrate
    (the analysed part). With an ``anneal`` block the quench pauses at its temperature
    for its duration (``quench`` down to it, ``anneal``, ``quench2`` on): a compressed
    quench passes the temperatures where broken metal-donor bonds re-form in a fraction
    of a picosecond, the paper's 20 K/ps in tens. Temperatures K, rates K/ps, durations
    ps."""
    t0, t1 = block["start_temperature_K"], block["max_temperature_K"]
    common = {
        "ensemble": block["ensemble"],
        "timestep_fs": block["timestep_fs"],
        "thermo_every": block["thermo_every"],
        "dump_every": block["dump_every"],
    }
    if block["ensemble"] == "npt":
        common.update(pressure_GPa=0.0, cell=block["cell"])

    def hold(name: str, temperature: float, duration_ps: float) -> Stage:
        return Stage(name, temperature_K=temperature, duration_ps=duration_ps, **common)

    def ramp(name: str, start: float, end: float, rate: float) -> Stage:
        span = abs(end - start) / rate  # ps at ``rate`` K/ps between the two temperatures
        return Stage(name, temperature_K=start, temperature_end_K=end, duration_ps=span, **common)

    cooling = block["cooling_rate_K_per_ps"]
    anneal = block.get("anneal")
    if anneal:
        ta = anneal["temperature_K"]
        quench = (
            ramp("quench", t1, ta, cooling),
            hold("anneal", ta, anneal["duration_ps"]),
            ramp("quench2", ta, t0, cooling),
        )
    else:
        quench = (ramp("quench", t1, t0, cooling),)
    stages = (
        hold("equilibrate", t0, block["equilibration_ps"]),
        ramp("heat", t0, t1, block["heating_rate_K_per_ps"]),
        hold("plateau", t1, block["plateau_ps"]),
        *quench,
        hold("final", t0, block["final_ps"]),
    )
    return Protocol(
        stages=stages,
        **damping_times(damping),
        seed=seed,
        max_temperature_factor=block["watch"]["max_temperature_factor"],
        segment_steps=max(1, steps(block["segment_ps"], block["timestep_fs"])),
    )


def exploration(
    block: Mapping, temperature_K: float, seed: int, damping: Mapping | None = None
) -> Protocol:
    """One active-learning exploration run: ``steps`` of NVT or NPT at ``temperature_K``,
    a frame every ``sample_every`` steps, the temperature watch on."""
    stage = Stage(
        name=f"explore{temperature_K:g}K",
        ensemble=block["ensemble"],
        temperature_K=temperature_K,
        pressure_GPa=block["pressure_GPa"],
        cell=block["cell"],
        steps=block["steps"],
        timestep_fs=block["timestep_fs"],
        thermo_every=block["sample_every"],
        dump_every=block["sample_every"],
    )
    return Protocol(
        (stage,),
        **damping_times(damping),
        seed=seed,
        max_temperature_factor=block["max_temperature_factor"],
        segment_steps=EXPLORE_SEGMENT_STEPS,
    )


def equilibrate_then_produce(
    block: Mapping,
    ensemble: str,
    temperature_K: float,
    damping: Mapping,
    seed: int,
    max_temperature_factor: float | None,
    pressure_GPa: float = 0.0,
    cell: str = "tri",
    dump_every: int | None = None,
    equilibration_ensemble: str | None = None,
) -> Protocol:
    """A mechanics run: equilibration then production at one temperature (K) and
    pressure (GPa); one frame per stage unless ``dump_every`` asks for more in the
    production."""
    production_steps = steps(block["production_ps"], block["timestep_fs"])
    common = {
        "temperature_K": temperature_K,
        "pressure_GPa": pressure_GPa,
        "cell": cell,
        "timestep_fs": block["timestep_fs"],
        "thermo_every": block["thermo_every"],
    }
    stages = (
        Stage(
            "equilibrate",
            equilibration_ensemble or ensemble,
            duration_ps=block["equilibration_ps"],
            dump_every=production_steps,
            **common,
        ),
        Stage(
            "production",
            ensemble,
            duration_ps=block["production_ps"],
            dump_every=dump_every or production_steps,
            **common,
        ),
    )
    return Protocol(
        stages=stages,
        **damping_times(damping),
        seed=seed,
        max_temperature_factor=max_temperature_factor,
        segment_steps=steps(block["segment_ps"], block["timestep_fs"]),
    )


def hold(
    block: Mapping,
    temperature_K: float,
    damping: Mapping,
    max_temperature_factor: float | None,
) -> Protocol:
    """NVT at ``temperature_K`` for ``block['duration_ps']`` (the phase classifier's
    class runs), the watch every ten frames."""
    stage = Stage(
        "nvt",
        "nvt",
        temperature_K=temperature_K,
        duration_ps=block["duration_ps"],
        timestep_fs=block["timestep_fs"],
        thermo_every=block["thermo_every"],
        dump_every=block["dump_every"],
    )
    return Protocol(
        (stage,),
        **damping_times(damping),
        seed=block["seed"] + int(temperature_K),
        max_temperature_factor=max_temperature_factor,
        segment_steps=block["dump_every"] * 10,
    )


def cost(block: Mapping, damping: Mapping) -> Protocol:
    """A short NVT run whose loop time measures the model's cost (µs/atom/step)."""
    stage = Stage(
        name="cost",
        ensemble="nvt",
        temperature_K=block["temperature_K"],
        steps=block["steps"],
        timestep_fs=block["timestep_fs"],
        thermo_every=block["steps"],
        dump_every=block["steps"],
    )
    return Protocol((stage,), **damping_times(damping), seed=1)


def disordered_slab(block: Mapping, seed: int, damping: Mapping | None = None) -> Protocol:
    """The coexistence's disordered slab from its crystal (Méndez & Semino made theirs
    by heating): NVT at ``melt_temperature_K`` for ``melt_ps``; for an ``amorphous``
    slab, then a quench at ``cooling_rate_K_per_ps`` to ``quench_temperature_K``."""
    common = {
        "ensemble": "nvt",
        "timestep_fs": block["timestep_fs"],
        "thermo_every": block["thermo_every"],
        "dump_every": block["dump_every"],
    }
    melt = block["melt_temperature_K"]
    stages = [Stage("melt", temperature_K=melt, duration_ps=block["melt_ps"], **common)]
    if block["disordered"] == "amorphous":
        end = block["quench_temperature_K"]
        span = (melt - end) / block["cooling_rate_K_per_ps"]
        stages.append(
            Stage("quench", temperature_K=melt, temperature_end_K=end, duration_ps=span, **common)
        )
    return Protocol(
        stages=tuple(stages),
        **damping_times(damping),
        seed=seed,
        max_temperature_factor=block["max_temperature_factor"],
    )


def coexistence(
    block: Mapping, temperature_K: float, seed: int, damping: Mapping | None = None
) -> Protocol:
    """A coexistence run: a short minimisation (the two slabs' seams), then NPT at
    ``temperature_K`` and ``pressure_GPa`` with each cell length on its own barostat
    (``aniso``), for ``duration_ps``, a frame every ``dump_every`` steps."""
    stage = Stage(
        f"coexist{temperature_K:g}K",
        "npt",
        temperature_K=temperature_K,
        pressure_GPa=block["pressure_GPa"],
        cell="aniso",
        duration_ps=block["duration_ps"],
        timestep_fs=block["timestep_fs"],
        thermo_every=block["thermo_every"],
        dump_every=block["dump_every"],
    )
    return Protocol(
        (Stage("seams", "minimize", max_iterations=block["minimize_iterations"]), stage),
        **damping_times(damping),
        seed=seed,
        max_temperature_factor=block["max_temperature_factor"],
        segment_steps=max(1, steps(block["segment_ps"], block["timestep_fs"])),
    )
