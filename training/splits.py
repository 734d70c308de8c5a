"""Train / validation / calibration / test folds that respect time.

Every fold lies entirely after the previous one: the validation fold (early stopping) follows
training, calibration follows validation, and the test fold, used only to report metrics, comes
last. Random splits over time-ordered data leak the future into training and flatter the model,
so nothing here shuffles. ``refit_schedule`` and ``latest_refit`` serve the as-of replays, which
refit a model on a schedule and use, at each date, only the latest refit made by then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

FOLD_NAMES = ("train", "validation", "calibration", "test")


@dataclass(frozen=True)
class Folds:
    """Positional row indices of each fold, in the order the rows occur in the frame."""

    train: np.ndarray
    validation: np.ndarray
    calibration: np.ndarray
    test: np.ndarray

    def sizes(self) -> dict[str, int]:
        return {name: int(len(getattr(self, name))) for name in FOLD_NAMES}

    def fit_rows(self) -> np.ndarray:
        """Rows a final model may be refitted on once the test fold has been reported."""
        return np.concatenate([self.train, self.validation, self.calibration, self.test])


def time_split(frame: pd.DataFrame, time_column: str, cutoffs: Sequence[object]) -> Folds:
    """Split by a time column at three cutoffs: [.., c1) train, [c1, c2) validation,
    [c2, c3) calibration, [c3, ..) test. Rows with a missing time are an error, not a guess."""
    if time_column not in frame:
        raise ValueError(f"time_split: column {time_column!r} not in frame")
    if len(cutoffs) != 3:
        raise ValueError(
            f"time_split: need 3 cutoffs (validation, calibration, test), got {len(cutoffs)}"
        )
    times = pd.to_datetime(frame[time_column]).to_numpy()
    if pd.isna(times).any():
        raise ValueError(f"time_split: column {time_column!r} has missing times")
    edges = pd.to_datetime(list(cutoffs)).to_numpy()
    if not (edges[:-1] <= edges[1:]).all():
        raise ValueError(f"time_split: cutoffs must be increasing, got {list(cutoffs)}")
    bucket = np.searchsorted(edges, times, side="right")
    return _folds_from_buckets(bucket, order=np.argsort(times, kind="stable"))


def ordered_split(n_rows: int, fractions: Sequence[float] = (0.7, 0.1, 0.1, 0.1)) -> Folds:
    """Contiguous blocks of the row order, for data without a timestamp (e.g. Kaggle).

    The row order stands in for time: if the file is sorted by time this is a time split; if it
    is not, it is still a fixed, reproducible holdout (never re-drawn at random). Fractions are
    for train, validation, calibration and test and must sum to 1.
    """
    if len(fractions) != 4 or min(fractions) < 0 or not np.isclose(sum(fractions), 1.0):
        raise ValueError(
            f"ordered_split: need 4 non-negative fractions summing to 1, got {fractions}"
        )
    edges = np.round(np.cumsum(fractions)[:-1] * n_rows).astype(int)
    bucket = np.searchsorted(edges, np.arange(n_rows), side="right")
    return _folds_from_buckets(bucket, order=np.arange(n_rows))


def _folds_from_buckets(bucket: np.ndarray, order: np.ndarray) -> Folds:
    ordered_bucket = bucket[order]
    parts = [order[ordered_bucket == k] for k in range(4)]
    return Folds(*parts)


def refit_schedule(first: pd.Timestamp, last: pd.Timestamp, every_days: int) -> list[pd.Timestamp]:
    """Dates ``first, first + every_days, ...`` up to ``last`` inclusive (empty if first > last)."""
    if every_days < 1:
        raise ValueError(f"every_days must be at least 1, got {every_days}")
    return list(pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq=f"{every_days}D"))


def latest_refit(dates: pd.Series | np.ndarray, refits: Sequence[pd.Timestamp]) -> np.ndarray:
    """Position in ``refits`` (sorted) of the latest refit on or before each date; -1 if none."""
    stamps = pd.DatetimeIndex(refits).to_numpy(dtype="datetime64[ns]")
    return np.searchsorted(stamps, np.asarray(dates, dtype="datetime64[ns]"), side="right") - 1
