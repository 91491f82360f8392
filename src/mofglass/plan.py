"""The static shape of the workflow, computed from a validated config.

Everything Snakemake needs to build the DAG before any job runs: which AIMD runs
exist, which datasets are relabelled at which level, and how many labelling batches
there can be at most. Wildcard values are formatted here once so that rules and
scripts agree on them.
"""

from __future__ import annotations

import math
import zlib
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

    def seed(self, base: int) -> int:
        """The run's own random seed, from the config's ``base`` and the run's name: the
        same for every rerun, different between runs (CP2K wants 1 to 2^31 - 1)."""
        return (base * 1_000_003 + zlib.crc32(self.name.encode())) % (2**31 - 2) + 1


def aimd_runs(config: dict) -> list[AIMDRun]:
    """Every (structure, temperature, volume) run: the grid plus ``extra_runs``."""
    aimd = config["aimd"]
    points = [(t, v) for t in aimd["temperatures_K"] for v in aimd["volume_scales"]]
    points += [(r["temperature_K"], r["volume_scale"]) for r in aimd["extra_runs"]]
    runs, seen = [], set()
    for structure in aimd.get("structures") or config["structures"]:
        for t, v in points:
            run = AIMDRun(structure, float(t), float(v))
            if run.name not in seen:
                seen.add(run.name)
                runs.append(run)
    return runs


def frames_per_run(config: dict) -> int:
    """Printed frames of one AIMD run after equilibration: its most frames in the pool."""
    aimd = config["aimd"]
    printed = range(0, aimd["steps"] + 1, aimd["print_every"])
    return sum(step > aimd["equilibration_steps"] for step in printed)


def dataset_candidates_max(config: dict, name: str) -> int:
    """The most pool frames a dataset can choose from."""
    block = config["datasets"][name]
    temperatures = block.get("temperatures_K")
    runs = [
        r
        for r in aimd_runs(config)
        if temperatures is None or r.temperature_K in {float(t) for t in temperatures}
    ]
    return len(runs) * (frames_per_run(config) // block["stride"])


def dataset_frames_max(config: dict, name: str) -> int:
    """The most frames a dataset labels: train + test + validation, within its candidates."""
    block = config["datasets"][name]
    candidates = dataset_candidates_max(config, name)
    requested = [block.get("train"), block["test"], block.get("validation")]
    if any(n is None for n in requested):
        return candidates
    return min(candidates, sum(requested))


def relabelled_datasets(config: dict) -> dict[str, list[str]]:
    """Datasets labelled by CP2K single points, by level of theory."""
    levels: dict[str, list[str]] = {}
    for name, block in config["datasets"].items():
        if block["labels_from"] == "single_point":
            levels.setdefault(block["level_of_theory"], []).append(name)
    return levels


def label_batches(config: dict, level: str) -> int:
    """Number of labelling jobs at a level: enough for every dataset's most frames.

    Datasets may share frames and draws may fall short, so trailing batches can be empty.
    """
    total = sum(dataset_frames_max(config, n) for n in relabelled_datasets(config)[level])
    return max(1, math.ceil(total / config["labels"]["batch_size"]))
