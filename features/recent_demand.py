"""The recent-demand rule: one day's demand quantiles from the last ``RECENT_DAYS`` of a series.

What stands in for a demand forecast wherever there is none: the stock-out alerts past the
forecast's horizon (``alerts.demand``), ``/v1/forecast`` without a demand champion
(``serving.forecast``), the report's demand over its horizon (``reports.sections.horizon_demand``),
and so the demand gate's ``RecentMean`` baseline (``training.forecasting.baselines``). Written
once, here.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

from contracts.keys import SKU_LOCATION

RECENT_DAYS = 28
Z90 = NormalDist().inv_cdf(0.9)


def p90_of(mean: np.ndarray | pd.Series, sd: np.ndarray | pd.Series) -> np.ndarray:
    """The normal 0.9 quantile of daily demand with this mean and standard deviation."""
    return np.asarray(mean, dtype=float) + Z90 * np.asarray(sd, dtype=float)


def daily_actuals(order_lines: pd.DataFrame, orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Units ordered per SKU-location and day over the ``RECENT_DAYS`` up to ``as_of`` (no zero rows):
    sku_id, location_id, ds, actual."""
    days = pd.to_datetime(orders.set_index("order_id")["order_time"]).dt.normalize()
    lines = order_lines.assign(ds=days.reindex(order_lines["order_id"]).to_numpy())
    recent = lines[(lines["ds"] > as_of - pd.Timedelta(days=RECENT_DAYS)) & (lines["ds"] <= as_of)]
    return recent.groupby([*SKU_LOCATION, "ds"], as_index=False)["quantity"].sum().rename(
        columns={"quantity": "actual"}
    )


def recent_mean_sd(actual: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """``mean`` and ``sd`` of one day's demand per ``keys`` from ``actual`` (an ``actual`` column of
    units per key and day over the ``RECENT_DAYS``, ``daily_actuals``; days without a row count as
    0). Indexed by ``keys``; a key without rows has none."""
    by_key = [actual[k] for k in keys]
    mean = actual["actual"].groupby(by_key).sum() / RECENT_DAYS
    sd = np.sqrt(np.maximum(actual["actual"].pow(2).groupby(by_key).sum() / RECENT_DAYS - mean**2, 0.0))
    return pd.DataFrame({"mean": mean, "sd": sd})


def recent_quantiles(actual: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """One day's demand quantiles per ``keys`` (``recent_mean_sd``): ``p50`` the mean, ``p90``
    ``p90_of`` the mean and the standard deviation, ``p10`` as far below the mean, at least 0."""
    rates = recent_mean_sd(actual, keys)
    mean, sd = rates["mean"], rates["sd"]
    return pd.DataFrame({"p10": np.maximum(mean - Z90 * sd, 0.0), "p50": mean, "p90": p90_of(mean, sd)})
