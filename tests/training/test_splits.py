"""Folds never let a later row train a model evaluated on an earlier one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.splits import FOLD_NAMES, ordered_split, time_split


def _assert_ordered(folds, key: np.ndarray) -> None:
    previous_max = -np.inf
    for name in FOLD_NAMES:
        idx = getattr(folds, name)
        assert (np.diff(key[idx]) >= 0).all()
        if len(idx):
            assert key[idx].min() >= previous_max
            previous_max = key[idx].max()


def test_time_split_folds_follow_each_other_in_time_even_on_shuffled_rows():
    rng = np.random.default_rng(0)
    times = pd.date_range("2024-01-01", periods=100, freq="D")[rng.permutation(100)]
    frame = pd.DataFrame({"ts": times})
    folds = time_split(frame, "ts", ["2024-02-15", "2024-03-01", "2024-03-15"])
    _assert_ordered(folds, frame["ts"].to_numpy().astype("int64"))
    assert sum(folds.sizes().values()) == 100
    assert frame["ts"].iloc[folds.test].min() == pd.Timestamp("2024-03-15")


def test_ordered_split_is_contiguous_in_row_order():
    folds = ordered_split(1000, (0.7, 0.1, 0.1, 0.1))
    assert folds.sizes() == {"train": 700, "validation": 100, "calibration": 100, "test": 100}
    _assert_ordered(folds, np.arange(1000))


def test_bad_cutoffs_are_rejected_with_a_message():
    frame = pd.DataFrame({"ts": pd.date_range("2024-01-01", periods=5)})
    with pytest.raises(ValueError, match="increasing"):
        time_split(frame, "ts", ["2024-03-01", "2024-02-01", "2024-04-01"])
    with pytest.raises(ValueError, match="'when' not in frame"):
        time_split(frame, "when", ["2024-01-02", "2024-01-03", "2024-01-04"])
