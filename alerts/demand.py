"""The daily demand the stock-out check consumes when no demand champion forecasts it: the mean
units ordered per day over the ``RECENT_DAYS`` up to the check's date, the same every day ahead.

Used by the nightly scan and by the service's re-checks, so both stand in with the same rate.
"""

from __future__ import annotations

import pandas as pd

from contracts.keys import SKU_LOCATION

RECENT_DAYS = 28


def daily_actuals(order_lines: pd.DataFrame, orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Units ordered per SKU-location and day over the ``RECENT_DAYS`` up to ``as_of`` (no zero rows):
    sku_id, location_id, ds, actual."""
    days = pd.to_datetime(orders.set_index("order_id")["order_time"]).dt.normalize()
    lines = order_lines.assign(ds=days.reindex(order_lines["order_id"]).to_numpy())
    recent = lines[(lines["ds"] > as_of - pd.Timedelta(days=RECENT_DAYS)) & (lines["ds"] <= as_of)]
    return recent.groupby([*SKU_LOCATION, "ds"], as_index=False)["quantity"].sum().rename(
        columns={"quantity": "actual"}
    )


def recent_mean_demand(actual: pd.DataFrame, keys: pd.DataFrame, as_of: pd.Timestamp, horizon: int) -> pd.DataFrame:
    """Daily p50 demand of ``keys`` (sku_id, location_id) for the ``horizon`` days after ``as_of``:
    the mean of ``actual`` (``daily_actuals``) over ``RECENT_DAYS``; 0 for a key that sold nothing."""
    rate = (actual.groupby(SKU_LOCATION)["actual"].sum() / RECENT_DAYS).rename("p50")
    rates = keys[SKU_LOCATION].join(rate, on=SKU_LOCATION).fillna({"p50": 0.0})
    days = pd.DataFrame({"ds": pd.date_range(as_of + pd.Timedelta(days=1), periods=max(horizon, 1))})
    return rates.merge(days, how="cross")
