"""The static shape of the workflow, computed from a validated config.

Everything Snakemake needs to build the DAG before any job runs: which AIMD runs
exist, and how many labelling batches there can be at most. Wildcard values are
formatted here once so that rules and scripts agree on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def temperature_label(temperature_K: float) -> str:
    """Wildcard form of a temperature in K: ``1500``, ``297.5``."""
    return f"{float(temperature_K):g}"


def volume_label(volume_scale: float) -> str:
    """Wildcard form of a volume scale: ``1.000``."""
    return f"{float(volume_scale):.3f}"


@dataclass(frozen=True)
class AIMDRun:
    """One AIMD job: a structure at a thermostat temperature (K) and volume scale."""

    structure: str
    temperature_K: float
    volume_scale: float

    @property
    def temperature(self) -> str:
        return temperature_label(self.temperature_K)

    @property
    def volume(self) -> str:
        return volume_label(self.volume_scale)

    @property
    def name(self) -> str:
        return f"{self.structure}/T{self.temperature}_V{self.volume}"


def aimd_runs(config: dict) -> list[AIMDRun]:
    """Every (structure, temperature, volume) run: the grid plus ``extra_runs``."""
    aimd = config["aimd"]
    points = [(t, v) for t in aimd["temperatures_K"] for v in aimd["volume_scales"]]
    points += [(r["temperature_K"], r["volume_scale"]) for r in aimd["extra_runs"]]
    runs, seen = [], set()
    for structure in config["structures"]:
        for t, v in points:
            run = AIMDRun(structure, float(t), float(v))
            if run.name not in seen:
                seen.add(run.name)
                runs.append(run)
    return runs


def pool_size_max(config: dict) -> int:
    """The most frames the label pool can hold (fewer if some AIMD frames are unusable)."""
    aimd, labels = config["aimd"], config["labels"]
    after_equilibration = len(range(0, aimd["steps"] + 1, aimd["print_every"])) - len(
        range(0, aimd["equilibration_steps"] + 1, aimd["print_every"])
    )
    return len(aimd_runs(config)) * (after_equilibration // labels["stride"])


def label_batches(config: dict) -> int:
    """Number of labelling batch jobs (batches beyond the pool's end are empty)."""
    return max(1, math.ceil(pool_size_max(config) / config["labels"]["batch_size"]))
