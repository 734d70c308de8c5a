"""A capped training set keeps the latest rows, and never fewer than the rows of its latest days,
so that its time folds cut whole days however many rows a day holds; the Dask path keeps the
same rows."""

from __future__ import annotations

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from training.dask_folds import most_recent_dask
from training.world_datasets import most_recent


@pytest.fixture
def rows() -> pd.DataFrame:
    """Ten days of rows, the later days with many more rows, each at its own time of day."""
    per_day = [5, 5, 5, 5, 5, 50, 50, 50, 50, 50]
    days = np.repeat(pd.date_range("2024-03-01", periods=len(per_day), freq="D"), per_day)
    minutes = np.concatenate([np.arange(n) for n in per_day])
    return pd.DataFrame({"t": days + pd.to_timedelta(minutes, unit="min"), "row": np.arange(sum(per_day))})


@pytest.mark.parametrize(
    ("max_rows", "min_days", "days_kept", "rows_kept"),
    [
        (60, 1, 2, 60),  # the cap: the latest 60 rows, over two days
        (60, 7, 7, 260),  # the cap spans two days: every row of the latest seven
        (230, 3, 5, 230),  # the cap reaches further back than three days
        (1000, 3, 10, 275),  # fewer rows than the cap: all of them
    ],
)
def test_the_latest_rows_or_the_latest_days_whichever_reach_further(rows, max_rows, min_days, days_kept, rows_kept):
    kept = most_recent(rows, "t", max_rows, min_days)
    assert len(kept) == rows_kept
    assert kept["t"].dt.normalize().nunique() == days_kept
    dropped = rows.drop(kept.index)
    assert dropped.empty or kept["t"].min() > dropped["t"].max()  # the latest rows, none skipped

    on_dask, cut = most_recent_dask(dd.from_pandas(rows, npartitions=3), "t", max_rows, min_days)
    assert sorted(on_dask.compute()["row"]) == sorted(kept["row"])
    assert (cut is None) == (rows_kept == len(rows))
