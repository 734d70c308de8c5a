"""Resampled validation for the Kaggle recipe: many held-out splits instead of one.

One cross-check can be tuned to by accident; a choice that holds should win on the mean over
several splits, by more than their spread. Two kinds of split are built here:

* ``block_resamples``: the table's row order is cut into contiguous blocks and each resample
  holds out a random share of whole blocks (rows near each other in the file stay together, as
  they would in a later extract), training on the other blocks.
* ``disjoint_test``: a second sample of the same source drawn elsewhere in it (a shifted
  population) minus every row whose feature vector also occurs in the training sample, since
  the shared Kaggle samples overlap and carry no common key.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from contracts.kaggle import FLAG_COLUMNS, QUANTITY_COLUMNS

VECTOR: tuple[str, ...] = (*QUANTITY_COLUMNS, *FLAG_COLUMNS)


@dataclass(frozen=True)
class Resample:
    """Positional rows of one table: ``train`` to fit on, ``test`` held out."""

    name: str
    train: np.ndarray
    test: np.ndarray


def block_resamples(
    n_rows: int, n_resamples: int, n_blocks: int = 20, test_share: float = 0.2, seed: int = 0
) -> list[Resample]:
    """``n_resamples`` splits of ``n_rows`` ordered rows: each holds out a random
    ``test_share`` of ``n_blocks`` contiguous blocks (different blocks each time, as far as
    the blocks allow), and trains on the rest."""
    if not 0 < test_share < 1:
        raise ValueError(f"test_share must be between 0 and 1, got {test_share}")
    if not 2 <= n_blocks <= n_rows:
        raise ValueError(f"n_blocks must be between 2 and the {n_rows} rows, got {n_blocks}")
    block_of_row = np.arange(n_rows) * n_blocks // n_rows
    held_per_split = max(1, round(n_blocks * test_share))
    rng = np.random.default_rng(seed)
    # Cycle through shuffled block orders so every block is held out before any is held out twice.
    order: list[int] = []
    while len(order) < n_resamples * held_per_split:
        order.extend(rng.permutation(n_blocks).tolist())
    splits = []
    for i in range(n_resamples):
        held = set(order[i * held_per_split : (i + 1) * held_per_split])
        is_test = np.isin(block_of_row, sorted(held))
        splits.append(Resample(f"blocks_{i}", np.flatnonzero(~is_test), np.flatnonzero(is_test)))
    return splits


def _vector_keys(table: pd.DataFrame) -> pd.Series:
    """A 64-bit hash per row of the full feature vector (values rounded to 1e-6; NaN hashes alike)."""
    return pd.util.hash_pandas_object(table[list(VECTOR)].astype("float64").round(6), index=False)


def disjoint_test(train: pd.DataFrame, test: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """TEST rows whose feature vector never occurs in TRAIN, in TEST order; and how many left."""
    seen = set(_vector_keys(train))
    keep = ~_vector_keys(test).isin(seen).to_numpy()
    return test.loc[keep].reset_index(drop=True), int((~keep).sum())
