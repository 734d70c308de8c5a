"""Cut a Dask training set into time folds without collecting it: only the small folds come back.

The training fold and the rows of the final refit stay Dask frames (fitted on the cluster by
``training.engine``); the validation, calibration and test folds, which come last in time and
are a small share of the rows, are computed into pandas frames for calibration, threshold and
metrics. Fold boundaries are the day-rounded time quantiles the pandas path uses, found from
the rows per day (a small table), so both paths cut the same folds.
"""

from __future__ import annotations

from collections.abc import Sequence

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd

from training.recipes import ClassifierJob
from training.risk.train import FoldFrames
from training.world_datasets import recent_cut


def naive_times(values: dd.Series) -> dd.Series:
    """Timestamps without a timezone (UTC), like the pandas path's."""
    return values.dt.tz_convert(None) if getattr(values.dtype, "tz", None) is not None else values


def most_recent_dask(
    frame: dd.DataFrame, time_column: str, max_rows: int | None, min_days: int = 1
) -> tuple[dd.DataFrame, pd.Timestamp | None]:
    """Rows at or after the time of the ``max_rows``-th latest row, or of every row of the latest
    ``min_days`` days when those are more (``world_datasets.recent_cut``), and that cut: None when
    every row is kept (no ``max_rows``, or no more rows than that).

    Rows tied at the cut are all kept, so there can be a few more than ``max_rows``. The count,
    the latest time and the boundary are computed together: one pass over ``frame``'s graph.
    """
    if max_rows is None:
        return frame, None
    times = naive_times(frame[time_column])
    rows, kth, latest = dask.compute(times.size, times.nlargest(max_rows).min(), times.max())
    if int(rows) <= max_rows:
        return frame, None
    cut = recent_cut(kth, latest, min_days)
    return frame[times >= cut], cut


def dask_cutoffs(job: ClassifierJob, frame: dd.DataFrame) -> tuple[pd.Timestamp, ...]:
    """The job's explicit cutoffs, or the day holding each ``cutoff_quantiles`` row in time order."""
    if job.cutoffs is not None:
        return tuple(pd.Timestamp(c) for c in job.cutoffs)
    per_day = naive_times(frame[job.time_column]).dt.floor("D").value_counts().compute().sort_index()
    ends = np.cumsum(per_day.to_numpy())
    positions = [int(np.floor(q * (ends[-1] - 1))) for q in job.cutoff_quantiles]
    return tuple(per_day.index[np.searchsorted(ends, p, side="right")] for p in positions)


def dask_fold_frames(
    job: ClassifierJob, frame: dd.DataFrame, features: Sequence[str], cutoffs: Sequence[pd.Timestamp]
) -> tuple[FoldFrames, pd.DataFrame]:
    """Folds of ``frame`` split at ``cutoffs`` by ``job.time_column``, and the test rows whole
    (every column, for segments and the monitoring reference)."""
    times = naive_times(frame[job.time_column])
    c1, c2, c3 = (pd.Timestamp(c) for c in cutoffs)
    X = frame[list(features)].astype("float64")
    y = frame["label"] > 0
    train = times < c1
    validation, calibration, test = dask.compute(
        frame[(times >= c1) & (times < c2)], frame[(times >= c2) & (times < c3)], frame[times >= c3]
    )

    def local(rows: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
        return rows[list(features)].astype("float64"), rows["label"].to_numpy() > 0

    folds = FoldFrames(
        train=(X[train], y[train]),
        validation=local(validation),
        calibration=local(calibration),
        test=local(test),
        all_rows=(X, y),
    )
    return folds, test.reset_index(drop=True)
