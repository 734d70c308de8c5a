"""The recent-demand rule: one day's demand quantiles from the last ``RECENT_DAYS`` of a series.

What stands in for a demand forecast wherever there is none: the stock-out alerts past the
forecast's horizon (``alerts.demand``), ``/v1/forecast`` without a demand champion
(``serving.forecast``), and so the demand gate's ``RecentMean`` baseline
(``training.forecasting.baselines``). Written once, here.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

RECENT_DAYS = 28
Z90 = NormalDist().inv_cdf(0.9)


def p90_of(mean: np.ndarray | pd.Series, sd: np.ndarray | pd.Series) -> np.ndarray:
    """The normal 0.9 quantile of daily demand with this mean and standard deviation."""
    return np.asarray(mean, dtype=float) + Z90 * np.asarray(sd, dtype=float)


def recent_quantiles(actual: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """One day's demand per ``keys`` from ``actual`` (an ``actual`` column of units per key and day
    over the ``RECENT_DAYS``, days without a row counting as 0): ``p50`` their mean, ``p90``
    ``p90_of`` the mean and their standard deviation, ``p10`` as far below the mean, at least 0.
    Indexed by ``keys``; a key without rows has none."""
    by_key = [actual[k] for k in keys]
    mean = actual["actual"].groupby(by_key).sum() / RECENT_DAYS
    sd = np.sqrt(np.maximum(actual["actual"].pow(2).groupby(by_key).sum() / RECENT_DAYS - mean**2, 0.0))
    p90 = p90_of(mean, sd)
    return pd.DataFrame({"p10": np.maximum(2 * mean.to_numpy() - p90, 0.0), "p50": mean, "p90": p90}, index=mean.index)
