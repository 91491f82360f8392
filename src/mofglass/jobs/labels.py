"""Stage 5, labels: single points of the selected frames in batches, and the datasets.

Jobs read files, call science, write files; they never import each other.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

import pandas as pd
from ase import Atoms

from ..atomicio import read_frames, read_table, write_frames, write_table, write_text
from ..datasets import assemble, label_requests, load_frames
from ..datasets import summary as dataset_summary
from ..labels import Labelling, QualityGate, frame_order, summary_table

log = logging.getLogger(__name__)


def label_requests_job(selection_files: Sequence[str], requests_file: str) -> list[Atoms]:
    """The frames to label at one level: every dataset's chosen frames, once each."""
    rows = label_requests(read_table(path) for path in selection_files)
    frames = list(load_frames(rows, keep_results=False))
    frames.sort(key=frame_order)
    write_frames(requests_file, frames)
    log.info("%d frames to label from %d dataset(s)", len(frames), len(selection_files))
    return frames


def label_batch_job(
    labelling: Labelling, requests_file: str, batch_index: int, outputs: Mapping[str, str]
) -> tuple[list[Atoms], list[Atoms]]:
    """One labelling batch of requested frames, split by the quality gate
    (:meth:`mofglass.labels.Labelling.batch`) into ``labelled`` and ``quarantine``; with
    a ``cost`` output, its wall seconds and core-seconds (CSV)."""
    start = time.perf_counter()
    accepted, quarantined = labelling.batch(requests_file, batch_index)
    write_frames(outputs["quarantine"], quarantined)
    write_frames(outputs["labelled"], accepted)
    seconds = time.perf_counter() - start
    if "cost" in outputs:
        core_s = seconds * (labelling.threads or 1)
        write_table(outputs["cost"], pd.DataFrame([{"wall_s": seconds, "core_s": core_s}]))
    counts = f"{len(accepted)} accepted, {len(quarantined)} quarantined"
    log.info("batch %d: %s, %.1f s", batch_index, counts, seconds)
    return accepted, quarantined


def merge_label_batches(
    batch_files: Sequence[str],
    quarantine_files: Sequence[str],
    labelled_file: str,
    quarantine_file: str,
    summary_file: str,
) -> None:
    """Concatenate batches in frame order; write the labelled set, quarantine and summary."""
    accepted = [a for path in batch_files for a in read_frames(path)]
    quarantined = [a for path in quarantine_files for a in read_frames(path)]
    accepted.sort(key=frame_order)
    quarantined.sort(key=frame_order)
    write_text(summary_file, summary_table(accepted, quarantined))
    write_frames(quarantine_file, quarantined)
    write_frames(labelled_file, accepted)
    log.info("%d frames labelled, %d quarantined", len(accepted), len(quarantined))


def dataset_job(
    selection_file: str,
    dataset: str,
    block: Mapping,
    labels: Mapping,
    aimd_stress: bool,
    split_files: Mapping[str, str],
    quarantine_file: str,
    lineage_file: str,
    labelled_file: str | None = None,
    label_quarantine_file: str | None = None,
) -> pd.DataFrame:
    """A dataset's labelled splits (extxyz), its quarantine and its lineage (CSV)."""
    lineage = read_table(selection_file)
    splits, quarantine, lineage = assemble(
        lineage,
        block["level_of_theory"],
        block["labels_from"],
        labelled=read_frames(labelled_file) if labelled_file else (),
        quarantined=read_frames(label_quarantine_file) if label_quarantine_file else (),
        gate=QualityGate(**labels["quality_gate"]),
        stress=aimd_stress if block["labels_from"] == "aimd" else labels["stress"],
    )
    for name, frames in splits.items():
        write_frames(split_files[name], frames)
    write_frames(quarantine_file, quarantine)
    write_table(lineage_file, lineage)
    log.info(
        "dataset %s: labelled %s at %s (from %s); %d quarantined",
        dataset,
        dataset_summary(lineage),
        block["level_of_theory"],
        block["labels_from"],
        len(quarantine),
    )
    return lineage
