"""The daily demand the stock-out check consumes: the forecast, and past it the mean of the last 28 days and a
p90 from their spread, days without orders counting as 0."""

from __future__ import annotations

import pandas as pd
import pytest

from alerts.demand import forecast_then_recent, recent_mean_demand
from features.recent_demand import RECENT_DAYS

AS_OF = pd.Timestamp("2026-03-02")


def test_a_single_burst_gives_a_low_mean_and_a_wide_p90_and_a_silent_series_zero():
    actual = pd.DataFrame({"sku_id": ["A", "B"], "location_id": "DC1", "ds": [AS_OF, AS_OF - pd.Timedelta(days=3)],
                           "actual": [28.0, 1.0]})
    keys = pd.DataFrame({"sku_id": ["A", "C"], "location_id": "DC1"})
    demand = recent_mean_demand(actual, keys, AS_OF, horizon=3)
    assert len(demand) == 6 and demand["ds"].min() == AS_OF + pd.Timedelta(days=1)
    a = demand[demand["sku_id"] == "A"].iloc[0]
    sd = (28.0**2 / RECENT_DAYS - 1.0) ** 0.5  # 28 units on one of 28 days: mean 1
    assert a["p50"] == pytest.approx(1.0) and a["p90"] == pytest.approx(1.0 + 1.2816 * sd, rel=1e-4)
    c = demand[demand["sku_id"] == "C"].iloc[0]
    assert (c["p50"], c["p90"]) == (0.0, 0.0)


def test_the_forecast_covers_its_days_and_the_recent_mean_the_days_past_its_horizon():
    keys = pd.DataFrame({"sku_id": ["A", "B"], "location_id": "DC1"})
    actual = pd.DataFrame({"sku_id": "A", "location_id": "DC1", "ds": AS_OF, "actual": [28.0]})
    recent = recent_mean_demand(actual, keys, AS_OF, horizon=5)
    days = pd.date_range(AS_OF + pd.Timedelta(days=1), periods=3)
    forecast = pd.DataFrame({"sku_id": "A", "location_id": "DC1", "ds": days, "p50": 9.0, "p90": 12.0})
    demand = forecast_then_recent(forecast, recent).sort_values(["sku_id", "ds"], ignore_index=True)
    assert len(demand) == 10  # one row per key and day of the horizon
    a = demand[demand["sku_id"] == "A"]
    assert a["p50"].tolist() == [9.0, 9.0, 9.0, 1.0, 1.0]  # 3 forecast days, then the recent mean
    assert (demand.loc[demand["sku_id"] == "B", "p50"] == 0.0).all()  # no forecast: the recent mean
    assert forecast_then_recent(None, recent).equals(recent)
    median_zero = forecast.assign(p50=0.0, p90=0.5)  # an intermittent series' median day
    floored = forecast_then_recent(median_zero, recent, floor=True).sort_values(["sku_id", "ds"], ignore_index=True)
    a = floored[floored["sku_id"] == "A"]
    assert a["p50"].tolist() == [1.0] * 5  # never below the recent mean
    assert (a["p90"].iloc[:3] == recent["p90"].iloc[0]).all()


def test_the_service_consumes_the_recent_mean_past_the_forecasters_horizon():
    from serving.live_alerts import ForecastDemand

    keys = pd.DataFrame({"sku_id": ["A"], "location_id": "DC1"})
    actual = pd.DataFrame({"sku_id": "A", "location_id": "DC1", "ds": AS_OF, "actual": [28.0]})

    class TwoDays:
        horizon = 2

        def __call__(self, sku: str, location: str, days: int) -> pd.DataFrame:
            return pd.DataFrame({"ds": pd.date_range(AS_OF + pd.Timedelta(days=1), periods=days), "p50": 5.0,
                                 "p90": 8.0})

    source = ForecastDemand(TwoDays(), lambda k, as_of, horizon: recent_mean_demand(actual, k, as_of, horizon))
    demand = source(keys, AS_OF, 4).sort_values("ds")
    assert demand["p50"].tolist() == [5.0, 5.0, 1.0, 1.0]
