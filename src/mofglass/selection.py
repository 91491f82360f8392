"""Choosing which pool frames become training, test and validation data.

Every selector splits a candidate table (see :mod:`mofglass.pool`) into

``train``       the frames drawn for training
``test``        drawn from the frames left after the training draw
``validation``  everything not drawn (or, when the config caps it, a random subset)
``reserve``     frames left over beyond that cap: selected for nothing, not labelled

Selectors:

``flat_histogram``  Castel et al.: bin by potential energy per atom with as many equal
                    bins as requested frames, draw one frame at random from each
                    non-empty bin; re-bin the leftovers the same way for the test set.
                    Empty bins give fewer frames than requested.
``random``          uniform draws without replacement, the baseline.
``cbad``            Sharma & Sanvito's coverage rule for training (see
                    :mod:`mofglass.cbad`); the test set is then drawn at random, so
                    that it represents the pool rather than its rare corners.

All draws come from one ``numpy.random.Generator`` seeded by the dataset's seed, in
the order train, test, validation: the same seed gives the same selection.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

SPLITS = ("train", "test", "validation", "reserve")
SELECTORS = ("flat_histogram", "random", "cbad")


def energy_bins(energies: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index (0..n_bins-1) of each energy on ``n_bins`` equal bins from min to max.

    The maximum falls in the last bin; if all energies are equal they share bin 0.
    """
    energies = np.asarray(energies, dtype=float)
    if n_bins < 1:
        raise ValueError(f"need at least one bin, got {n_bins}")
    if energies.size == 0:
        return np.zeros(0, dtype=np.int64)
    if energies.max() == energies.min():
        return np.zeros(energies.size, dtype=np.int64)
    # the bins of numpy.histogram: [e_k, e_k+1), the last one closed
    edges = np.histogram_bin_edges(energies, bins=n_bins)
    return np.searchsorted(edges[1:-1], energies, side="right").astype(np.int64)


def flat_histogram_draw(
    energies: np.ndarray, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One frame drawn uniformly from each non-empty bin of ``n`` energy bins.

    Returns (positions of the drawn frames in ascending order, their bin indices).
    """
    if n == 0 or len(energies) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    bins = energy_bins(energies, n)
    # The first member of each bin in a uniformly random order is a uniform draw
    # from that bin: one permutation serves every bin at once.
    order = rng.permutation(len(bins))
    _, first = np.unique(bins[order], return_index=True)
    chosen = np.sort(order[first])
    return chosen, bins[chosen]


def random_draw(n_frames: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``min(n, n_frames)`` positions drawn uniformly without replacement, ascending."""
    return np.sort(rng.choice(n_frames, size=min(n, n_frames), replace=False))


def split_pool(
    energies_per_atom: np.ndarray,
    selector: str,
    n_train: int | None,
    n_test: int,
    n_validation: int | None,
    rng: np.random.Generator,
    train_positions: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Assign every candidate a split; return (split names, energy bin or -1).

    ``train_positions`` are the frames an external rule (CBAD) chose for training;
    otherwise ``selector`` draws ``n_train`` of them. ``n_validation=None`` makes every
    frame left after the test draw a validation frame.
    """
    energies = np.asarray(energies_per_atom, dtype=float)
    size = len(energies)
    code = np.full(size, SPLITS.index("reserve"), dtype=np.int8)
    energy_bin = np.full(size, -1, dtype=np.int64)

    if train_positions is not None:
        train = np.sort(np.asarray(train_positions, dtype=np.int64))
    elif selector == "flat_histogram":
        train = _draw_with_bins(energies, np.arange(size), n_train, energy_bin, rng)
    elif selector == "random":
        train = random_draw(size, n_train, rng)
    else:
        raise ValueError(f"unknown selector {selector!r}; known: {', '.join(SELECTORS)}")
    code[train] = SPLITS.index("train")
    left = np.flatnonzero(code == SPLITS.index("reserve"))

    if selector == "flat_histogram":
        test = _draw_with_bins(energies, left, n_test, energy_bin, rng)
    else:
        test = left[random_draw(len(left), n_test, rng)]
    code[test] = SPLITS.index("test")
    left = np.flatnonzero(code == SPLITS.index("reserve"))

    if n_validation is None:
        validation = left
    else:
        validation = left[random_draw(len(left), n_validation, rng)]
    code[validation] = SPLITS.index("validation")
    return np.asarray(SPLITS, dtype=object)[code], energy_bin


def _draw_with_bins(energies, positions, n, energy_bin, rng):
    """Flat-histogram draw among ``positions``; writes the drawn frames' bins into
    ``energy_bin``."""
    chosen, bins = flat_histogram_draw(energies[positions], n, rng)
    drawn = positions[chosen]
    energy_bin[drawn] = bins
    return drawn


def select(
    candidates: pd.DataFrame,
    dataset: str,
    block: dict,
    train_positions: np.ndarray | None = None,
    cbad_added: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The lineage table of a dataset: the candidates with their selection columns.

    Added columns: ``dataset``, ``selector``, ``split``, ``energy_bin`` (index of the
    flat-histogram bin a frame was drawn from, in its draw; -1 otherwise),
    ``cbad_bins_added`` (number of new CBAD bins a training frame brought) and
    ``cbad_new_bins`` (those bins, ``type=bin`` separated by ``;``).
    """
    rng = np.random.default_rng(block["seed"])
    split, energy_bin = split_pool(
        candidates["energy_per_atom_eV"].to_numpy(),
        block["selector"],
        block.get("train"),
        block["test"],
        block.get("validation"),
        rng,
        train_positions=train_positions,
    )
    table = candidates.copy()
    table["dataset"] = dataset
    table["selector"] = block["selector"]
    table["split"] = split
    table["energy_bin"] = energy_bin
    if cbad_added is None:
        table["cbad_bins_added"] = 0
        table["cbad_new_bins"] = ""
    else:
        table["cbad_bins_added"] = [0 if not a else a.count(";") + 1 for a in cbad_added]
        table["cbad_new_bins"] = list(cbad_added)
    return table


def split_counts(table: pd.DataFrame) -> dict[str, int]:
    """Number of frames in each split."""
    counts = table["split"].value_counts()
    return {name: int(counts.get(name, 0)) for name in SPLITS}
