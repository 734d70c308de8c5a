"""Which series a global forecaster learns from when a world has more than it needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from features.timeseries import ID
from training.engine import is_dask

if TYPE_CHECKING:
    import dask.dataframe as dd


def capped_series(frame: pd.DataFrame | dd.DataFrame, max_series: int | None) -> pd.DataFrame | dd.DataFrame:
    """The rows of at most ``max_series`` series of ``frame``: those whose id hashes lowest (all
    of them when None or when there are no more).

    A global model needs a large sample of series, not all of them, and its cost and memory grow
    with its rows. The sample depends on the ids present alone, so the same rows give the same
    sample, in a full run as in a nightly one.
    """
    if max_series is not None and max_series < 1:
        raise ValueError("max_series must be at least 1")
    if max_series is None:
        return frame
    ids = pd.Series(frame[ID].unique().compute() if is_dask(frame) else frame[ID].unique())
    if len(ids) <= max_series:
        return frame
    kept = ids.iloc[np.argsort(pd.util.hash_array(ids.to_numpy()), kind="stable")[:max_series]]
    return frame[frame[ID].isin(list(kept))]
