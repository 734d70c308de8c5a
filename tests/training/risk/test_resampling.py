"""Resampling protocol of the Kaggle validation: disjoint, covering, overlap-free splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from contracts.kaggle import FLAG_COLUMNS, QUANTITY_COLUMNS
from training.risk.resampling import block_resamples, disjoint_test


def test_block_resamples_are_disjoint_contiguous_and_hold_out_every_block_once():
    n = 1003
    splits = block_resamples(n, n_resamples=5, n_blocks=20, test_share=0.2, seed=3)
    assert len(splits) == 5
    for split in splits:
        assert np.intersect1d(split.train, split.test).size == 0
        assert np.union1d(split.train, split.test).tolist() == list(range(n))
        assert 0.15 * n <= split.test.size <= 0.25 * n
        assert (np.diff(split.test) == 1).sum() >= split.test.size - 4  # at most 4 separate blocks
    held = np.concatenate([s.test for s in splits])
    assert np.sort(held).tolist() == list(range(n))  # 5 x 4 of 20 blocks: each row held out once
    again = block_resamples(n, n_resamples=5, n_blocks=20, test_share=0.2, seed=3)
    assert all((a.test == b.test).all() for a, b in zip(splits, again, strict=True))


def test_block_resamples_reject_bad_settings():
    with pytest.raises(ValueError, match="test_share"):
        block_resamples(100, 3, test_share=1.0)
    with pytest.raises(ValueError, match="n_blocks"):
        block_resamples(10, 3, n_blocks=11)


def _table(values: list[float]) -> pd.DataFrame:
    frame = pd.DataFrame({c: 0.0 for c in QUANTITY_COLUMNS}, index=range(len(values)))
    frame["national_inv"] = values
    frame["lead_time"] = np.nan  # missing values compare equal
    for flag in FLAG_COLUMNS:
        frame[flag] = False
    return frame


def test_disjoint_test_drops_every_row_whose_feature_vector_occurs_in_train():
    train = _table([1.0, 2.0, 3.0])
    test = _table([2.0, 4.0, 1.0, 5.0])
    kept, removed = disjoint_test(train, test)
    assert removed == 2 and kept["national_inv"].tolist() == [4.0, 5.0]
