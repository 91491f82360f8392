"""What a run will cost, before it starts.

Each job of the DAG is a piece of :class:`Work` read from the config alone (no input
file needs to exist: a plan is made on a login node before anything runs): so many
force evaluations, MD steps, training passes or analysed frames of so many atoms, by
an engine (CP2K at a method, an ASE calculator, a model family) on a device. Measured
unit costs (``data/unit_costs.yaml``: each with where it was measured, or marked an
estimate with its reason) turn work into device-seconds; :func:`table` sums them per
stage into core-hours, GPU-hours, memory per job and wall time on a stated cluster.

The same figures size every Slurm request (:mod:`mofglass.resources`), so a plan's cost
and a job's request never disagree.

Units: seconds (s), hours (h), MB; an engine's unit cost is per atom.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import pandas as pd
import yaml

from . import active_learning as alearn
from .md import Stage, recipes

UNIT_COSTS = Path(__file__).parent / "data" / "unit_costs.yaml"

#: GPUs a model family's jobs need by default: SNAP runs on CPUs; a foundation model
#: where its level's kwargs put it (the shipped ones: CPU); a fine-tuning trains on one.
FAMILY_GPUS = {
    "snap": 0,
    "nequip": 1,
    "allegro": 1,
    "mace": 1,
    "published": 1,
    "foundation": 0,
    "finetune": 1,
}


#: Set to ``cpu`` where the GPUs a job gets are not real (a rehearsal on a local Slurm
#: whose GPUs are dummy devices): GPU jobs are still routed to GPUs, but costed and
#: given time as the CPU jobs they are.
RUNS_ON = "MOFGLASS_RUNS_ON"


def _device(gpus: int) -> str:
    """Where a job with ``gpus`` GPUs computes: the GPU, unless :data:`RUNS_ON` says cpu."""
    return "gpu" if gpus and os.environ.get(RUNS_ON, "") != "cpu" else "cpu"


def model_gpus(block: Mapping) -> int:
    """GPUs per job of a model (config ``models.<name>``): its ``gpus``, else its family's."""
    gpus = block.get("gpus")
    return FAMILY_GPUS[block["type"]] if gpus is None else int(gpus)


def protocol_steps(block: Mapping) -> int:
    """MD steps of a protocol block with ``stages`` (``md.check``)."""
    return sum(Stage.from_config(stage).n_steps for stage in block["stages"])


def meltquench_steps(block: Mapping) -> int:
    """MD steps of the config's melt-quench protocol (``meltquench`` block)."""
    return sum(stage.n_steps for stage in recipes.meltquench(block, seed=1).stages)


@dataclass(frozen=True)
class Unit:
    """One measured (or estimated) unit cost: ``value`` in ``unit`` on ``device``,
    measured at ``atoms`` atoms (its per-atom cost scales as atoms^(scaling - 1))."""

    key: str
    device: str
    value: float
    unit: str
    atoms: int
    status: str
    source: str
    scaling: float = 1.0

    @property
    def seconds(self) -> float:
        """Seconds per the unit's time unit (µs or s)."""
        return 1e-6 if self.unit.startswith("µs") else 1.0

    def per_atom(self, n_atoms: int) -> float:
        """The unit cost per atom at ``n_atoms`` atoms."""
        return self.value * (n_atoms / self.atoms) ** (self.scaling - 1.0)


@cache
def _table(path: str = str(UNIT_COSTS)) -> dict:
    return yaml.safe_load(Path(path).read_text())


@cache
def units() -> dict[tuple[str, str], Unit]:
    """The unit-cost table, by (key, device)."""
    out = {}
    for key, devices in _table()["units"].items():
        for device, row in devices.items():
            out[key, device] = Unit(key=key, device=device, **row)
    return out


def unit(key: str, device: str, measured: Mapping | None = None) -> Unit:
    """A unit cost, from ``measured`` ((key, device) -> :class:`Unit`, what a run of the
    site measured: :mod:`mofglass.measured`) where it has one, else from the table; on a
    GPU without a GPU figure, the CPU figure (its status says so)."""
    table = {**units(), **(measured or {})}
    if (key, device) in table:
        return table[key, device]
    if (key, "cpu") in table:
        found = table[key, "cpu"]
        return Unit(**{**found.__dict__, "device": device, "status": "no GPU figure: CPU's"})
    raise KeyError(f"no unit cost for {key!r} ({device}) in {UNIT_COSTS}")


@dataclass(frozen=True)
class Work:
    """One job's work: ``count`` evaluations of ``atoms`` atoms by ``key`` (a unit-cost
    key) on ``device`` with ``cores`` cores and ``gpus`` GPUs, and the ``extra`` terms
    (key, atoms, count) of the same job (an AIMD run's MD steps after its first single
    point); :func:`memory_mb` sizes its memory for ``peak_atoms`` (the most atoms it
    holds at once: a job that runs several systems one after another) or ``atoms``."""

    key: str
    atoms: int
    count: float
    device: str = "cpu"
    cores: int = 1
    gpus: int = 0
    extra: tuple[tuple[str, int, float], ...] = field(default=())
    peak_atoms: int | None = None

    def device_seconds(self, measured: Mapping | None = None) -> float:
        """Core-seconds on a CPU, GPU-seconds on a GPU (``measured``: see :func:`unit`)."""
        return self._seconds(((self.key, self.atoms, self.count), *self.extra), measured)

    def extra_seconds(self, measured: Mapping | None = None) -> float:
        """The device-seconds of the ``extra`` terms alone."""
        return self._seconds(self.extra, measured)

    def _seconds(self, terms, measured: Mapping | None) -> float:
        units = ((unit(k, self.device, measured), n, c) for k, n, c in terms)
        return sum(u.per_atom(n) * n * c * u.seconds for u, n, c in units)

    def wall_seconds(self, measured: Mapping | None = None) -> float:
        """Wall time: device-seconds over the cores (CPU) or GPUs it has."""
        parallel = self.gpus if self.device == "gpu" else self.cores
        return self.device_seconds(measured) / max(1, parallel)


def memory_mb(work: Work) -> float:
    """Memory (MB) of one process of a job (a CP2K rank: its fixed part plus its share
    of the per-atom part; the job's one process otherwise), from ``memory`` of the
    unit-cost table; 0 where none is given."""
    key, share = work.key, 1
    if key.startswith("cp2k/"):  # the per-atom part is spread over the ranks
        key, share = "/".join(key.split("/")[:2]), max(1, work.cores)
    elif key.startswith("calculator/"):
        key = "calculator"
    elif key.startswith("md/"):  # an MD or prediction process: its family's figure
        family = "/".join(key.split("/")[:2])
        key = next((k for k in (key, family) if k in _table()["memory"]), "md")
    elif key.startswith("train/"):  # a fit holds a batch and its gradients: by family
        key = key if key in _table()["memory"] else "md"
    row = _table()["memory"].get(key)
    atoms = work.peak_atoms or work.atoms
    return row["fixed_mb"] + row["per_atom_mb"] * atoms / share if row else 0.0


def cells_memory_mb(config: Mapping, model: str) -> list[float]:
    """Expected memory (MB) of the cost stage's MD of ``model`` on each of its
    supercells (``md.cost.supercells``), in order."""
    md = config["md"]["cost"]
    atoms = structure_atoms(config, md["structure"] or next(iter(config["structures"])))
    return [memory_mb(_md(config, model, atoms * a * b * c, 1)) for a, b, c in md["supercells"]]


#: Rules whose jobs size themselves: a part expected to need more memory than the job
#: was granted (a cell of the cost stage, a glass at the labels' level) is not run, and
#: its row says why (:func:`mofglass.resources.too_big`).
SELF_SIZED = ("glass_check", "model_cost")


def job_memory_mb(work: Work) -> float:
    """Memory (MB) of the whole job on its node: every CP2K rank's, else its one
    process's (:func:`memory_mb`)."""
    ranks = work.cores if work.key.startswith("cp2k/") else 1
    return memory_mb(work) * max(1, ranks)


# -- the work of each rule, from the config --------------------------------------------


def structure_atoms(config: Mapping, name: str) -> int:
    """Atoms of a structure as the run uses it (its supercell applied)."""
    block = config["structures"][name]
    a, b, c = block["supercell"]
    return _loaded_atoms(block["source"], block["cell"], block["hydrogens"]) * a * b * c


@cache
def _loaded_atoms(source: str, cell: str, hydrogens: str) -> int:
    from .structures import load_structure

    return len(load_structure(source, cell=cell, hydrogens=hydrogens))


def _steps(duration_ps: float, timestep_fs: float) -> int:
    return int(round(duration_ps * 1000.0 / timestep_fs))


def _protocol_steps(protocol) -> int:
    return sum(
        stage.max_iterations if stage.ensemble == "minimize" else stage.n_steps
        for stage in protocol.stages
    )


def level_engine(config: Mapping, level: str) -> str:
    """The unit-cost key of a level's single points: ``cp2k/<method>`` or
    ``calculator/<calculator>`` (a repaired level: its base's)."""
    block = config["levels_of_theory"][level]
    if "base" in block:
        return level_engine(config, block["base"])
    if "method" in block:
        return f"cp2k/{block['method']}"
    return f"calculator/{block['calculator']}"


def _cp2k(config: Mapping, level: str, atoms: int, single_points: float, md_steps: float = 0):
    """Work of CP2K (or a calculator level) at ``level``: single points and MD steps."""
    engine = level_engine(config, level)
    cores = config["cp2k"]["ranks"] * config["cp2k"]["omp_threads"]
    if engine.startswith("calculator/"):  # on the job's cores, in torch's threads
        return Work(engine, atoms, single_points + md_steps, cores=cores)
    if md_steps:  # MD: its steps, after its first single point from the atomic guess
        extra = ((f"{engine}/single_point", atoms, single_points),)
        return Work(f"{engine}/md_step", atoms, md_steps, cores=cores, extra=extra)
    return Work(f"{engine}/single_point", atoms, single_points, cores=cores)


def _model_type(config: Mapping, model: str) -> str:
    return config["models"][model]["type"]


def _md_key(config: Mapping, model: str) -> str:
    """The unit-cost key of a model's MD: its family's, a SNAP's by its bispectrum
    order where the table has one (the cost grows steeply with 2J)."""
    block = config["models"][model]
    if block["type"] == "snap":
        key = f"md/snap/2j{block['snap']['twojmax']}"
        if (key, "cpu") in units():
            return key
    return f"md/{block['type']}"


def _md(config: Mapping, model: str, atoms: int, steps: float) -> Work:
    """MD (or predictions: one step per frame) of a model."""
    gpus = model_gpus(config["models"][model])
    device = _device(gpus)
    cores = config["md"]["ranks"] if not gpus else 1
    return Work(_md_key(config, model), atoms, steps, device, cores, gpus)


def _train(config: Mapping, model: str, atoms: int, frames: float, validation: float = 0) -> Work:
    """A model's fit on ``frames`` frames: epochs of training passes (network families:
    forward and backward) with a forward pass over the ``validation`` frames each epoch,
    or the SNAP fit's descriptor passes over both, one per tuning evaluation."""
    block = config["models"][model]
    kind, gpus = block["type"], model_gpus(block)
    device = _device(gpus)
    if kind == "snap":
        passes = 1 + block["snap"]["tune"]["max_evaluations"]
        return Work("train/snap", atoms, (frames + validation) * passes, device, 1, gpus)
    epochs = block.get("network", {}).get("epochs", 1)
    checks = ((_md_key(config, model), atoms, validation * epochs),) if validation else ()
    return Work(f"train/{kind}", atoms, frames * epochs, device, 1, gpus, checks)


#: Rules whose jobs go on from their last restart point when run again, and how: a job
#: longer than a partition runs finishes over several attempts. MD through ASE (a
#: model family without its LAMMPS pair style) starts again from zero.
_LAMMPS_OR_CP2K = "if it runs in LAMMPS or CP2K"
_EPOCHS = "from its last epoch's checkpoint if it is a NequIP, Allegro or CHGNet fit"
RESUMABLE = {
    "aimd_run": _LAMMPS_OR_CP2K,  # CP2K chunks
    "label_batch": _LAMMPS_OR_CP2K,  # frame by frame
    "al_label": _LAMMPS_OR_CP2K,
    "cross_check_level": _LAMMPS_OR_CP2K,
    "md_check": _LAMMPS_OR_CP2K,  # LAMMPS segments
    "meltquench_run": _LAMMPS_OR_CP2K,
    "mechanics_eos_point": _LAMMPS_OR_CP2K,
    "mechanics_fluctuations": _LAMMPS_OR_CP2K,
    "mechanics_expansion_point": _LAMMPS_OR_CP2K,
    "mechanics_vdos": _LAMMPS_OR_CP2K,
    "phases_md": _LAMMPS_OR_CP2K,
    "coexistence_build": _LAMMPS_OR_CP2K,
    "coexistence_run": _LAMMPS_OR_CP2K,
    "train_family": _EPOCHS,
    "learning_curve": _EPOCHS,
}


def _dataset_frames(config: Mapping, name: str, splits=("train", "validation")) -> int:
    block = config["datasets"][name]
    return sum(block.get(s) or 0 for s in splits)


def _model_atoms(config: Mapping, model: str) -> int:
    """Atoms per training frame of a model: its dataset's (AIMD) or loop's structure."""
    block = config["models"][model]
    loop = block.get("active_learning")
    if loop:
        return structure_atoms(config, loop["structure"] or next(iter(config["structures"])))
    return max(structure_atoms(config, s) for s in _aimd_structures(config))


def _aimd_structures(config: Mapping) -> list[str]:
    return config["aimd"].get("structures") or list(config["structures"])


def _meltquench_atoms(config: Mapping) -> int:
    block = config["meltquench"]
    a, b, c = block["supercell"]
    name = block["structure"] or next(iter(config["structures"]))
    return structure_atoms(config, name) * a * b * c


def _sample_atoms(config: Mapping, sample: str) -> int:
    """Atoms of a mechanics sample: a crystal's, else a glass's (a user's set is taken
    as large as the glasses)."""
    if sample in config["structures"]:
        return structure_atoms(config, sample)
    return _meltquench_atoms(config)


def _mechanics_steps(config: Mapping, part: str) -> int:
    block = {**config["mechanics"], **config["mechanics"][part]}
    step = block.get("timestep_fs") or config["mechanics"]["timestep_fs"]
    if block.get("method") == "relaxed":
        return block["max_iterations"]
    return _steps(block["equilibration_ps"] + block["production_ps"], step)


def _melt(config: Mapping, model: str) -> Work:
    """A melt-quench run of the config's protocol."""
    return _md(config, model, _meltquench_atoms(config), meltquench_steps(config["meltquench"]))


def _al(config: Mapping, model: str) -> Mapping:
    return config["models"][model]["active_learning"]


def _aimd_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    aimd = config["aimd"]
    atoms = structure_atoms(config, w["structure"])
    return _cp2k(config, aimd["level_of_theory"], atoms, 1, aimd["steps"])


def _label_batch_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    atoms = max(structure_atoms(config, s) for s in _aimd_structures(config))
    return _cp2k(config, w["level"], atoms, config["labels"]["batch_size"])


def _al_label_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    loop = _al(config, w["model"])
    atoms = _model_atoms(config, w["model"])
    level = loop["level_of_theory"] or config["aimd"]["level_of_theory"]
    return _cp2k(config, level, atoms, config["labels"]["batch_size"])


def _al_explore_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    loop, k = _al(config, w["model"]), int(w["iteration"])
    steps = 1 if k == 0 else loop["steps"]
    if alearn.is_biased(loop, k, int(w["run"])):  # metadynamics with the current model
        steps = loop["metadynamics"]["steps"]
    elif alearn.explores_meltquench(loop, k):
        return _md(
            config,
            w["model"],
            _meltquench_atoms(config),
            meltquench_steps(config["meltquench"]),
        )
    return _md(config, w["model"], _model_atoms(config, w["model"]), steps)


def _al_train_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    loop, k = _al(config, w["model"]), int(w["iteration"])
    frames = sum(alearn.max_requests(loop, i) for i in range(k + 1))
    return _train(config, w["model"], _model_atoms(config, w["model"]), frames)


def _training_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    block = config["models"][w["model"]]
    if "dataset" not in block or block["type"] in ("published", "foundation"):
        return Work("bookkeeping", 1, 1)
    train = _dataset_frames(config, block["dataset"], ("train",))
    validation = _dataset_frames(config, block["dataset"], ("validation",))
    fits = 1 if rule != "learning_curve" else len(block["learning_curve"]["fractions"])
    if rule == "learning_curve":  # a fit on each fraction of the training frames
        train *= sum(block["learning_curve"]["fractions"])
    atoms = _model_atoms(config, w["model"])
    return _train(config, w["model"], atoms, train, validation * fits)


def _evaluate_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    block = config["models"][w["model"]]
    if "dataset" in block:
        frames = _dataset_frames(config, block["dataset"], ("train", "test", "validation"))
    else:
        loop = _al(config, w["model"])
        frames = loop["perturb"]["test"] + loop["perturb"]["validation"]
    return _md(config, w["model"], _model_atoms(config, w["model"]), frames)


def _model_cost_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    md = config["md"]["cost"]
    name = md["structure"] or next(iter(config["structures"]))
    cells = [a * b * c for a, b, c in md["supercells"]]
    atoms = structure_atoms(config, name)
    work = _md(config, w["model"], atoms * sum(cells), md["steps"])
    return replace(work, peak_atoms=atoms * max(cells))  # the cells run one by one


def _md_check_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    check = config["md"]["check"]
    name = check["structure"] or next(iter(config["structures"]))
    a, b, c = check["supercell"]
    steps = protocol_steps(check)
    return _md(config, w["model"], structure_atoms(config, name) * a * b * c, steps)


def _meltquench_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    return _md(
        config, w["model"], _meltquench_atoms(config), meltquench_steps(config["meltquench"])
    )


def _mechanics_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    part = {"eos_point": "eos", "expansion_point": "expansion"}.get(
        rule.removeprefix("mechanics_"), rule.removeprefix("mechanics_")
    )
    atoms = _sample_atoms(config, w["sample"])
    return _md(config, w["model"], atoms, _mechanics_steps(config, part))


def _enhanced_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    bias = config["enhanced_sampling"]["biases"][w["bias"]]
    name = bias["structure"] or next(iter(config["structures"]))
    return _md(config, w["model"], structure_atoms(config, name), bias["steps"])


def _phases_md_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    block = config["phases"]
    name = block["classes"][w["phase"]]["structure"]
    steps = _steps(block["md"]["duration_ps"], block["md"]["timestep_fs"])
    return _md(config, block["model"], structure_atoms(config, name), steps)


def _coexistence_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    system = config["coexistence"]["systems"][w["system"]]
    model = config["coexistence"]["model"] or config["phases"]["model"]
    a, b, c = system["supercell"]
    atoms = structure_atoms(config, system["structure"]) * a * b * c
    if rule == "coexistence_build":
        return _md(config, model, atoms, _protocol_steps(recipes.disordered_slab(system, 1)))
    protocol = recipes.coexistence(system, float(w["temperature"]), 1)
    return _md(config, model, 2 * atoms, _protocol_steps(protocol))


def _cross_check_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    level = config["cross_check"]["level_of_theory"]
    frames = config["datasets"][w["dataset"]]["test"]
    atoms = max(structure_atoms(config, s) for s in _aimd_structures(config))
    return _cp2k(config, level, atoms, frames)


def _glass_check_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    block = config["models"][w["model"]]
    level = _model_level(config, block)
    return _cp2k(config, level, _meltquench_atoms(config), config["meltquench"]["replicas"] + 1)


def _repair_dft_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    repair = config["levels_of_theory"][w["repaired"]]["repair"]
    if repair.get("shipped"):
        return Work("bookkeeping", 1, 1)
    points = repair["points"]
    count = len(points["stretches_A"]) * points["bonds"] + points["rattles"]
    atoms = structure_atoms(config, repair["structure"])
    return _cp2k(config, repair["level_of_theory"], atoms, count)


def _analyse_work(config: Mapping, rule: str, w: Mapping[str, str]) -> Work:
    return Work("analysis", _meltquench_atoms(config), config["analysis"]["last_frames"])


#: The work of each rule's jobs, by rule (others: bookkeeping); ``w`` the wildcards.
_WORK = {
    "aimd_run": _aimd_work,
    "label_batch": _label_batch_work,
    "al_label": _al_label_work,
    "al_explore": _al_explore_work,
    "al_train": _al_train_work,
    "train_snap": _training_work,
    "train_family": _training_work,
    "learning_curve": _training_work,
    "evaluate_model": _evaluate_work,
    "model_cost": _model_cost_work,
    "md_check": _md_check_work,
    "meltquench_run": _meltquench_work,
    "mechanics_eos_point": _mechanics_work,
    "mechanics_fluctuations": _mechanics_work,
    "mechanics_expansion_point": _mechanics_work,
    "mechanics_vdos": _mechanics_work,
    "enhanced_run": _enhanced_work,
    "phases_md": _phases_md_work,
    "coexistence_build": _coexistence_work,
    "coexistence_run": _coexistence_work,
    "cross_check_level": _cross_check_work,
    "glass_check": _glass_check_work,
    "repair_dft": _repair_dft_work,
    "analyse": _analyse_work,
}


def job_work(config: Mapping, rule: str, wildcards: Mapping[str, str]) -> Work:
    """The work of one job of ``rule`` with ``wildcards`` (the dry run's)."""
    work = _WORK.get(rule)
    return work(config, rule, wildcards) if work else Work("bookkeeping", 1, 1)


def _model_level(config: Mapping, block: Mapping) -> str:
    """The level of theory a model learned (its dataset's, its loop's, the AIMD's)."""
    if "dataset" in block and block["dataset"] in config.get("datasets", {}):
        return config["datasets"][block["dataset"]]["level_of_theory"]
    loop = block.get("active_learning") or {}
    return loop.get("level_of_theory") or config["aimd"]["level_of_theory"]


# -- the plan's jobs and the table ----------------------------------------------------


@dataclass(frozen=True)
class Cluster:
    """The nodes a run is costed on: ``nodes`` CPU nodes of ``cores`` cores and
    ``gpu_nodes`` nodes of ``gpus`` GPUs (the GPU figures are for ``gpu_kind``), whose
    partitions run a job for at most ``max_job_h`` hours."""

    nodes: int = 4
    cores: int = 128
    gpu_nodes: int = 2
    gpus: int = 4
    gpu_kind: str = "V100"
    max_job_h: float = 48.0
    node_memory_gb: float = 256.0
    gpu_memory_gb: float = 32.0


def table(
    config: Mapping,
    jobs: Iterable[tuple[str, Mapping]],
    stages: Mapping[str, str],
    cluster: Cluster,
    measured: Mapping | None = None,
) -> pd.DataFrame:
    """Per stage: jobs, core-hours (h), GPU-hours (h), the longest job (h), the most
    memory of a job (MB), wall time on ``cluster`` (h: the longest job, or the stage's
    device-hours over the cluster's cores or GPUs where that is longer), the rules with
    jobs longer than the cluster allows (with their counts), and the unit costs it rests
    on (key: value unit, status): ``measured`` ones where given (see :func:`unit`)."""
    rows: dict[str, dict] = {}
    for rule, wildcards in jobs:
        work = job_work(config, rule, wildcards)
        stage = stages.get(rule, "other")
        row = rows.setdefault(
            stage,
            {"stage": stage, "jobs": 0, "core_h": 0.0, "gpu_h": 0.0, "longest_job_h": 0.0,
             "memory_mb": 0.0, "over_limit": {}, "over_memory": {}, "units": set()},
        )  # fmt: skip
        seconds = work.device_seconds(measured)
        row["jobs"] += 1
        row["core_h" if work.device == "cpu" else "gpu_h"] += seconds / 3600.0
        hours = work.wall_seconds(measured) / 3600.0
        row["longest_job_h"] = max(row["longest_job_h"], hours)
        if hours > cluster.max_job_h:
            count, attempts = row["over_limit"].get(rule, (0, 0))
            row["over_limit"][rule] = (
                count + 1,
                max(attempts, math.ceil(hours / cluster.max_job_h)),
            )
        row["memory_mb"] = max(row["memory_mb"], memory_mb(work))
        limit_gb = cluster.gpu_memory_gb if work.device == "gpu" else cluster.node_memory_gb
        if job_memory_mb(work) > limit_gb * 1024:
            count, most = row["over_memory"].get(rule, (0, 0.0))
            row["over_memory"][rule] = (count + 1, max(most, job_memory_mb(work) / 1024))
        for key in (work.key, *(k for k, _, _ in work.extra)):
            u = unit(key, work.device, measured)
            row["units"].add(
                f"{key} ({u.device}): {u.value:g} {u.unit} at {u.atoms} atoms, {u.status}"
            )
    out = pd.DataFrame(rows.values())
    if out.empty:
        return out
    capacity_cpu, capacity_gpu = cluster.nodes * cluster.cores, cluster.gpu_nodes * cluster.gpus
    out["wall_h"] = [
        max(r.longest_job_h, r.core_h / capacity_cpu, r.gpu_h / max(1, capacity_gpu))
        for r in out.itertuples()
    ]
    out["units"] = ["; ".join(sorted(u)) for u in out["units"]]
    out["over_limit"] = [
        ", ".join(_over(rule, n, attempts) for rule, (n, attempts) in sorted(over.items()))
        for over in out["over_limit"]
    ]
    out["over_memory"] = [
        ", ".join(f"{rule} ({n} jobs, up to {gb:.0f} GB)" for rule, (n, gb) in sorted(over.items()))
        for over in out["over_memory"]
    ]
    return out


def _over(rule: str, jobs: int, attempts: int) -> str:
    if rule in RESUMABLE:
        return f"{rule} ({jobs} jobs, up to {attempts} attempts {RESUMABLE[rule]})"
    return f"{rule} ({jobs} jobs, cannot go on from a restart)"


def render(out: pd.DataFrame, cluster: Cluster, source: str) -> str:
    """The cost table as Markdown, with its totals and the cluster it is for."""
    lines = [
        f"# What {source} will cost",
        "",
        f"On {cluster.nodes} CPU nodes of {cluster.cores} cores and {cluster.gpu_nodes} "
        f"GPU nodes of {cluster.gpus} {cluster.gpu_kind}; wall times assume the stages "
        "run one after another and the jobs of a stage side by side.",
        "",
        "| stage | jobs | core-h | GPU-h | longest job (h) | memory per job (MB) | wall (h) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in out.itertuples():
        lines.append(
            f"| {r.stage} | {r.jobs} | {_fmt(r.core_h)} | {_fmt(r.gpu_h)} | "
            f"{_fmt(r.longest_job_h)} | {r.memory_mb:.0f} | {_fmt(r.wall_h)} |"
        )
    total = out.sum(numeric_only=True)
    lines.append(
        f"| **total** | {out.jobs.sum()} | {_fmt(total.core_h)} | {_fmt(total.gpu_h)} "
        f"| {_fmt(out.longest_job_h.max())} | {out.memory_mb.max():.0f} | {_fmt(total.wall_h)} |"
    )
    over = [f"- {r.stage}: {r.over_limit}" for r in out.itertuples() if r.over_limit]
    if over:
        lines += [
            "",
            f"Jobs longer than a partition allows ({cluster.max_job_h:g} h): each asks for "
            "the limit and goes on from its last restart point on each retry (the "
            "profile's `retries`), or, where it cannot, is killed every time; shorten "
            "them in the config, or give them a partition that runs them:",
            "",
            *over,
        ]
    big = [f"- {r.stage}: {r.over_memory}" for r in out.itertuples() if r.over_memory]
    if big:
        lines += [
            "",
            f"Jobs that need more memory than a node gives ({cluster.node_memory_gb:g} GB "
            f"a CPU node, {cluster.gpu_memory_gb:g} GB a GPU; a job's memory as measured on "
            "a CPU): give them a bigger node, or CP2K more ranks on more nodes:",
            "",
            *big,
        ]
    lines += ["", "Unit costs used (value, where measured, status):", ""]
    used = sorted({u for cell in out["units"] for u in cell.split("; ") if u})
    lines += [f"- {u}" for u in used]
    return "\n".join(lines) + "\n"


def _fmt(hours: float) -> str:
    if hours == 0:
        return "0"
    digits = max(0, 2 - int(math.floor(math.log10(abs(hours)))))
    return f"{hours:,.{min(digits, 4)}f}"
