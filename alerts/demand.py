"""The daily demand the stock-out check consumes: the demand forecast on the days it covers, and on
the others (past the forecast's horizon, or every day without a forecast) the mean units ordered
per day over the ``RECENT_DAYS`` up to the check's date, with a ``p90`` from the spread of those
days (normal, ``features.recent_demand``), which sizes the check's cushion for bursts.

Used by the nightly scan, the service's re-checks and the alert replay, so all consume the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contracts.keys import SKU_LOCATION
from features.recent_demand import recent_quantiles


def recent_mean_demand(actual: pd.DataFrame, keys: pd.DataFrame, as_of: pd.Timestamp, horizon: int) -> pd.DataFrame:
    """Daily p50 and p90 demand of ``keys`` (sku_id, location_id) for the ``horizon`` days after
    ``as_of``: ``recent_quantiles`` of ``actual`` (``daily_actuals``); 0 for a key that sold nothing."""
    rate = recent_quantiles(actual, SKU_LOCATION)[["p50", "p90"]]
    rates = keys[SKU_LOCATION].join(rate, on=SKU_LOCATION).fillna({"p50": 0.0, "p90": 0.0})
    days = pd.DataFrame({"ds": pd.date_range(as_of + pd.Timedelta(days=1), periods=max(horizon, 1))})
    return rates.merge(days, how="cross")


def forecast_then_recent(forecast: pd.DataFrame | None, recent: pd.DataFrame, floor: bool = False) -> pd.DataFrame:
    """The daily p50 and p90 the stock-out check consumes: ``forecast`` (a demand forecast, sku_id,
    location_id, ds, p50, p90) on the days it covers, ``recent`` (``recent_mean_demand``) on the
    others, so a lead time longer than the forecast's horizon still consumes demand to its end.
    ``floor`` (``stockout_recent_floor``): on the forecast's days, each of p50 and p90 is at least
    the recent one, since the median of an intermittent series' day is often 0, below its mean."""
    if forecast is None or forecast.empty:
        return recent
    columns = [*SKU_LOCATION, "ds", "p50", "p90"]
    forecast = forecast[columns].assign(ds=pd.to_datetime(forecast["ds"]))
    recent = recent[columns].assign(ds=pd.to_datetime(recent["ds"]))
    both = recent.merge(forecast, on=[*SKU_LOCATION, "ds"], how="outer", suffixes=("_recent", ""), indicator=True)
    covered = both["_merge"] != "left_only"
    for q in ("p50", "p90"):
        recent_q = both[f"{q}_recent"]
        both[q] = both[q].where(covered, recent_q)
        if floor:
            both[q] = np.fmax(both[q], recent_q)
    return both[columns].reset_index(drop=True)
