"""Datasets: the selected frames with their labels, split, and their lineage.

A dataset takes its labels from one level of theory only: either straight from the
AIMD frames (which then ran at that level) or from CP2K single points of the selected
frames. Both kinds pass the same quality gate. The lineage table of the selection
gains the label columns:

``label_level``    level of theory of the frame's labels
``labels_from``    ``aimd`` or ``single_point``
``label_status``   ``labelled``, ``quarantined``, or empty for ``reserve`` frames
``label_problem``  why a frame was quarantined
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence

import pandas as pd
from ase import Atoms

from .atomicio import iter_frames
from .frames import plain
from .labels import QualityGate, judge, quarantine_outliers

log = logging.getLogger(__name__)

LABELLED_SPLITS = ("train", "test", "validation")
PROVENANCE = ("frame_id", "structure", "run", "step", "time_fs", "temperature_K", "volume_scale")


class DatasetError(RuntimeError):
    """A dataset cannot be assembled as asked (missing labels, mixed levels)."""


def chosen(lineage: pd.DataFrame) -> pd.DataFrame:
    """The rows of frames that get labels: train, test and validation."""
    return lineage[lineage["split"].isin(LABELLED_SPLITS)]


def load_frames(rows: pd.DataFrame, keep_results: bool = True) -> Iterator[Atoms]:
    """The atoms of lineage/pool rows, read from their trajectories, with provenance.

    Streams one trajectory at a time; frames come in the order of ``rows`` grouped by
    trajectory. ``keep_results=False`` drops the sampling level's energy and forces.
    """
    for path, group in rows.groupby("trajectory", sort=False):
        by_frame = {int(r.frame): r for r in group.itertuples()}
        positions = sorted(by_frame)
        frames = list(iter_frames(path, positions))
        if len(frames) != len(positions):
            raise DatasetError(
                f"{path}: has {len(frames)} of the {len(positions)} frames the pool lists: "
                "the trajectory changed after the pool was built"
            )
        for position, atoms in zip(positions, frames, strict=True):
            row = by_frame[position]
            if int(atoms.info.get("step", row.step)) != int(row.step):
                raise DatasetError(
                    f"{path}: frame {position} is step {atoms.info.get('step')}, the pool says "
                    f"{row.step}: the trajectory changed after the pool was built"
                )
            frame = plain(atoms, keep_results)
            if not keep_results:  # the sampling calculation's own bookkeeping
                for key in ("scf_converged", "conserved_eV", "temperature_inst_K"):
                    frame.info.pop(key, None)
            frame.info.update({key: getattr(row, key) for key in PROVENANCE})
            frame.info["step"] = int(row.step)
            yield frame


def label_requests(lineages: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The frames that need single points: the union of the datasets' chosen frames,
    each once, in run and step order."""
    rows = pd.concat([chosen(t) for t in lineages], ignore_index=True)
    rows = rows.drop_duplicates("frame_id")
    return rows.sort_values(["run", "step"], kind="stable").reset_index(drop=True)


def check_one_level(frames: Iterable[Atoms], level: str, what: str) -> None:
    """Raise :class:`DatasetError` unless every frame is labelled at ``level``."""
    for atoms in frames:
        found = atoms.info.get("level_of_theory")
        if found != level:
            raise DatasetError(
                f"{what}: frame {atoms.info.get('frame_id', '?')} is labelled at {found!r}, "
                f"not {level!r}; a training set never mixes levels of theory"
            )


def _labels(
    rows: pd.DataFrame,
    labels_from: str,
    labelled: Sequence[Atoms],
    quarantined: Sequence[Atoms],
    gate: QualityGate | None,
    stress: bool,
) -> dict[str, Atoms]:
    """Each chosen frame (``rows``) with its label, by frame id: read from its AIMD
    run and judged, or looked up in the level's labelling output."""
    outcome: dict[str, Atoms] = {}
    if labels_from == "aimd":
        for atoms in load_frames(rows):
            atoms.info.setdefault("scf_converged", True)
            outcome[atoms.info["frame_id"]] = judge(atoms, gate or QualityGate(), stress)
    elif labels_from == "single_point":
        outcome = {a.info["frame_id"]: a for a in [*labelled, *quarantined]}
        missing = sorted(set(rows["frame_id"]) - set(outcome))
        if missing:
            raise DatasetError(
                f"{len(missing)} selected frame(s) have no label, e.g. {missing[0]}: "
                "the labels were made for another selection"
            )
    else:
        raise ValueError(f"unknown labels_from {labels_from!r}")
    return outcome


def assemble(
    lineage: pd.DataFrame,
    level: str,
    labels_from: str,
    labelled: Sequence[Atoms] = (),
    quarantined: Sequence[Atoms] = (),
    gate: QualityGate | None = None,
    stress: bool = False,
) -> tuple[dict[str, list[Atoms]], list[Atoms], pd.DataFrame]:
    """Split the labelled frames of a dataset; return (splits, quarantine, lineage).

    ``labels_from='aimd'`` reads the chosen frames with their AIMD results and judges
    them with ``gate`` (stress required if ``stress``); ``'single_point'`` looks each
    chosen frame up in ``labelled``/``quarantined`` (the level's labelling output). A
    chosen frame found in neither is an error: the labels are not those of this
    selection.
    """
    rows = chosen(lineage)
    outcome = _labels(rows, labels_from, labelled, quarantined, gate, stress)
    accepted = [a for a in outcome.values() if a.info.get("label_status") == "accepted"]
    _, outliers = quarantine_outliers(accepted, gate or QualityGate())
    outcome.update({a.info["frame_id"]: a for a in outliers})

    splits: dict[str, list[Atoms]] = {name: [] for name in LABELLED_SPLITS}
    quarantine: list[Atoms] = []
    status, problem = {}, {}
    for row in rows.itertuples():
        atoms = outcome[row.frame_id].copy()
        atoms.calc = outcome[row.frame_id].calc
        atoms.info.update(dataset=row.dataset, split=row.split)
        if atoms.info.get("label_status") == "accepted":
            splits[row.split].append(atoms)
            status[row.frame_id] = "labelled"
        else:
            quarantine.append(atoms)
            status[row.frame_id] = "quarantined"
            problem[row.frame_id] = atoms.info.get("quarantine_reason", "")
    for name, frames in splits.items():
        check_one_level(frames, level, f"dataset {lineage['dataset'].iloc[0]} ({name})")

    lineage = lineage.copy()
    lineage["label_level"] = [level if f in status else "" for f in lineage["frame_id"]]
    lineage["labels_from"] = [labels_from if f in status else "" for f in lineage["frame_id"]]
    lineage["label_status"] = [status.get(f, "") for f in lineage["frame_id"]]
    lineage["label_problem"] = [problem.get(f, "") for f in lineage["frame_id"]]
    return splits, quarantine, lineage


def summary(lineage: pd.DataFrame) -> Mapping[str, int]:
    """Labelled frames per split."""
    labelled = lineage[lineage["label_status"] == "labelled"]
    return {name: int((labelled["split"] == name).sum()) for name in LABELLED_SPLITS}


def config_errors(config: dict) -> Iterator[str]:
    """Datasets that cannot be built from the configured sampling."""
    aimd = config.get("aimd", {})
    sampled = {float(t) for t in aimd.get("temperatures_K", [])}
    sampled |= {float(r["temperature_K"]) for r in aimd.get("extra_runs", [])}
    for name, block in config.get("datasets", {}).items():
        key = f"datasets.{name}"
        if block["selector"] != "cbad" and block.get("train") is None:
            yield f"{key}.train: required for selector {block['selector']}"
        level = block["level_of_theory"]
        if block["labels_from"] == "aimd" and level != aimd.get("level_of_theory"):
            yield (
                f"{key}.labels_from: the AIMD ran at {aimd.get('level_of_theory')!r}, not at the "
                f"dataset's level {level!r}, and one dataset never mixes levels of theory; "
                f"use labels_from: single_point to relabel the selected frames at {level!r}"
            )
        missing = sorted({float(t) for t in block.get("temperatures_K") or []} - sampled)
        if missing:
            yield (
                f"{key}.temperatures_K: no AIMD run at {', '.join(f'{t:g}' for t in missing)} K "
                f"(sampled: {', '.join(f'{t:g}' for t in sorted(sampled))} K)"
            )
