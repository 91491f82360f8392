"""Flat-histogram and random selection: the train/test/validation contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from mofglass.pool import restrict
from mofglass.selection import (
    energy_bins,
    flat_histogram_draw,
    select,
    split_counts,
    split_pool,
)

energies_strategy = st.lists(
    st.floats(min_value=-50.0, max_value=-40.0, allow_nan=False), min_size=1, max_size=300
)


def pool_table(energies) -> pd.DataFrame:
    n = len(energies)
    return pd.DataFrame(
        {
            "frame_id": [f"R/T300_V1.000:{i + 1}" for i in range(n)],
            "run": "R/T300_V1.000",
            "trajectory": "t.extxyz",
            "frame": np.arange(1, n + 1),
            "step": np.arange(1, n + 1),
            "temperature_K": 300.0,
            "energy_per_atom_eV": np.asarray(energies, dtype=float),
        }
    )


def nonempty_bins(energies, n) -> int:
    """Non-empty bins of n equal bins from min to max, counted by numpy.histogram."""
    energies = np.asarray(energies)
    if not len(energies):
        return 0
    if energies.min() == energies.max():
        return 1
    return int((np.histogram(energies, bins=n)[0] > 0).sum())


@settings(max_examples=200, deadline=None)
@given(energies_strategy, st.integers(1, 60), st.integers(0, 30), st.integers(0, 2**32 - 1))
def test_flat_histogram_counts_fall_short_exactly_by_the_empty_bins(
    energies, n_train, n_test, seed
):
    energies = np.array(energies)
    split, energy_bin = split_pool(
        energies, "flat_histogram", n_train, n_test, None, np.random.default_rng(seed)
    )
    train = np.flatnonzero(split == "train")
    assert len(train) == nonempty_bins(energies, n_train) <= n_train
    # one frame from each non-empty bin of the training draw (numpy.histogram's bins)
    if energies.min() < energies.max():
        edges = np.histogram_bin_edges(energies, bins=n_train)
        for k in train:
            b = energy_bin[k]
            assert edges[b] <= energies[k] and (energies[k] < edges[b + 1] or b == n_train - 1)
    assert len(set(energy_bin[train])) == len(train)
    left = np.flatnonzero(split != "train")
    test = np.flatnonzero(split == "test")
    assert len(test) == (nonempty_bins(energies[left], n_test) if n_test else 0) <= n_test
    # everything not drawn is validation; each frame is in exactly one split
    assert set(np.flatnonzero(split == "validation")) == set(left) - set(test)
    assert len(train) + len(test) + (split == "validation").sum() == len(energies)


@settings(max_examples=200, deadline=None)
@given(
    energies_strategy,
    st.sampled_from(["flat_histogram", "random"]),
    st.integers(1, 40),
    st.integers(0, 20),
    st.one_of(st.none(), st.integers(0, 50)),
    st.integers(0, 2**32 - 1),
)
def test_no_frame_in_two_splits_and_requests_never_exceeded(
    energies, selector, n_train, n_test, n_validation, seed
):
    pool = pool_table(energies)
    block = {
        "selector": selector,
        "train": n_train,
        "test": n_test,
        "validation": n_validation,
        "seed": seed,
    }
    lineage = select(pool, "d", block)
    # every selected frame comes from the pool, and every pool frame appears once
    assert lineage["frame_id"].tolist() == pool["frame_id"].tolist()
    counts = split_counts(lineage)
    assert sum(counts.values()) == len(pool)
    assert counts["train"] <= n_train and counts["test"] <= n_test
    if selector == "random":
        assert counts["train"] == min(n_train, len(pool))
        assert counts["test"] == min(n_test, len(pool) - counts["train"])
    left = len(pool) - counts["train"] - counts["test"]
    if n_validation is None:
        assert counts["validation"] == left and counts["reserve"] == 0
    else:
        assert counts["validation"] == min(n_validation, left)
        assert counts["reserve"] == left - counts["validation"]


@given(energies_strategy, st.integers(1, 30), st.integers(0, 2**32 - 1))
@settings(max_examples=50, deadline=None)
def test_the_same_seed_gives_the_same_selection(energies, n, seed):
    pool = pool_table(energies)
    for selector in ("flat_histogram", "random"):
        block = {"selector": selector, "train": n, "test": 3, "validation": 2, "seed": seed}
        a, b = select(pool, "d", block), select(pool, "d", block)
        pd.testing.assert_frame_equal(a, b)


def test_other_seeds_give_other_selections():
    pool = pool_table(np.linspace(-48, -47, 500))
    picks = {
        tuple(select(pool, "d", {"selector": "random", "train": 20, "test": 5, "seed": s})["split"])
        for s in range(5)
    }
    assert len(picks) == 5


def test_flat_histogram_draws_are_uniform_within_each_bin():
    # bins of 1, 3 and 12 frames (4 bins over [0, 4), one of them empty)
    energies = np.concatenate([[0.1], [1.2, 1.5, 1.9], np.linspace(3.05, 3.95, 12)])
    bins = energy_bins(energies, 4)
    assert np.bincount(bins, minlength=4).tolist() == [1, 3, 0, 12]
    hits = np.zeros(len(energies), dtype=int)
    rng = np.random.default_rng(123)
    draws = 6000
    for _ in range(draws):
        chosen, chosen_bins = flat_histogram_draw(energies, 4, rng)
        assert sorted(chosen_bins) == [0, 1, 3]  # exactly one per non-empty bin
        hits[chosen] += 1
    assert hits[0] == draws
    for members in (np.arange(1, 4), np.arange(4, 16)):
        assert chisquare(hits[members]).pvalue > 1e-3
    # the draws do not favour low or high energies in a bin either
    assert abs(np.average(energies[4:], weights=hits[4:]) - energies[4:].mean()) < 0.02


def test_energy_bins_put_the_extremes_in_the_first_and_last_bin():
    bins = energy_bins(np.array([-2.0, -1.5, -1.0]), 4)
    assert bins.tolist() == [0, 2, 3]
    assert energy_bins(np.array([5.0, 5.0]), 3).tolist() == [0, 0]
    with pytest.raises(ValueError):
        energy_bins(np.array([1.0]), 0)


def test_paper_style_shortfall():
    # a bimodal pool (crystal and liquid energies) leaves middle bins empty
    rng = np.random.default_rng(0)
    energies = np.concatenate([rng.normal(-47.25, 0.002, 5000), rng.normal(-47.10, 0.01, 5000)])
    split, _ = split_pool(energies, "flat_histogram", 1000, 100, None, rng)
    counts = {k: int((split == k).sum()) for k in ("train", "test", "validation")}
    assert counts["train"] == nonempty_bins(energies, 1000) < 1000
    assert counts["validation"] == len(energies) - counts["train"] - counts["test"]


def test_dataset_candidates_take_every_stride_th_frame_per_run():
    pool = pd.concat(
        [
            pool_table(np.zeros(6)).assign(run=run, temperature_K=t)
            for run, t in (("a", 300), ("b", 900))
        ]
    ).reset_index(drop=True)
    picked = restrict(pool, stride=3)
    assert picked.groupby("run")["step"].apply(list).to_dict() == {"a": [3, 6], "b": [3, 6]}
    assert set(restrict(pool, temperatures_K=[900])["run"]) == {"b"}
