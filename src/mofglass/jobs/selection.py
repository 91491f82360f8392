"""Stage 4, selection: the pool of usable frames and each dataset's selection.

Jobs read files, call science, write files; they never import each other.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .. import chemistry, plots
from ..atomicio import read_table, write_table
from ..cbad import Coverage, Resolution, pool_keys, select_frames
from ..plan import AIMDRun
from ..pool import build_pool, restrict
from ..selection import select, split_counts

log = logging.getLogger(__name__)


def pool_job(
    runs: Sequence[AIMDRun],
    thermo_files: Sequence[str],
    trajectory_files: Sequence[str],
    equilibration_steps: int,
    pool_file: str,
) -> pd.DataFrame:
    """The pool table (CSV) of every usable AIMD frame after equilibration."""
    pool = build_pool(zip(runs, thermo_files, trajectory_files, strict=True), equilibration_steps)
    write_table(pool_file, pool)
    log.info("pool: %d frames from %d runs", len(pool), len(runs))
    return pool


def select_job(
    pool_file: str,
    dataset: str,
    block: Mapping,
    selection_file: str,
    figure_file: str,
    coverage_file: str | None = None,
    coverage_figure: str | None = None,
    threads: int = 1,
    chemistry_files: Sequence[str] = (),
) -> pd.DataFrame:
    """Select a dataset's frames: lineage table (CSV), energy figure, and for CBAD the
    coverage table (CSV) and figure, with bonds as the structures' chemistry reads them."""
    pool = read_table(pool_file)
    candidates = restrict(pool, block["stride"], block["temperatures_K"])
    if candidates.empty:
        raise ValueError(f"dataset {dataset}: no candidate frames in the pool")
    train_positions = added = None
    start = time.perf_counter()
    if block["selector"] == "cbad":
        cutoffs = chemistry.metal_cutoffs(chemistry_files)
        coverage, train_positions, added = cbad_job_selection(candidates, block, threads, cutoffs)
        coverage_table = pd.DataFrame(coverage.table())
        write_table(coverage_file, coverage_table)
        plots.cbad_coverage(coverage_table, coverage_figure)
    lineage = select(candidates, dataset, dict(block), train_positions, added)
    write_table(selection_file, lineage)
    plots.energy_distribution(candidates, lineage, figure_file)
    log.info(
        "dataset %s (%s, seed %d): %d candidates -> %s in %.2f s",
        dataset,
        block["selector"],
        block["seed"],
        len(candidates),
        split_counts(lineage),
        time.perf_counter() - start,
    )
    return lineage


def cbad_job_selection(
    candidates: pd.DataFrame,
    block: Mapping,
    threads: int = 1,
    metal_cutoffs: Mapping[str, float] | None = None,
) -> tuple[Coverage, list[int], list[str]]:
    """Apply CBAD to the candidates in pool order (or shuffled with the dataset's seed),
    metal-donor bonds within ``metal_cutoffs`` (Å).

    Returns the coverage, the accepted candidate positions (ascending) and, per
    candidate, the bins it added.
    """
    resolution, bond_scale = Resolution.from_config(block["cbad"])
    order = block["cbad"]["order"]
    requests = [
        (path, group["frame"].tolist())
        for path, group in candidates.groupby("trajectory", sort=False)
    ]
    keyed = pool_keys(
        requests, resolution, bond_scale, processes=threads, metal_cutoffs=metal_cutoffs
    )
    coverage = Coverage(resolution)
    per_frame: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
    for result in keyed:
        type_ids = coverage.register(result)
        for frame, keys in zip(result.frames, result.keys, strict=True):
            per_frame[(result.path, frame)] = (keys, type_ids)
    sequence = np.arange(len(candidates))
    if order == "shuffled":
        sequence = np.random.default_rng([block["seed"], 1]).permutation(len(candidates))
    paths, frames = candidates["trajectory"].to_numpy(), candidates["frame"].to_numpy()
    offered = [per_frame[(paths[i], int(frames[i]))] for i in sequence]
    accepted, added_in_order = select_frames(coverage, offered, block.get("train"))
    added = [""] * len(candidates)
    for position, text in zip(sequence, added_in_order, strict=True):
        added[position] = text
    return coverage, sorted(int(sequence[a]) for a in accepted), added
