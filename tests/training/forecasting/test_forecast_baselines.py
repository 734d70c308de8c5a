"""statsforecast baselines give the forecasts their definitions promise on toy series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.forecasting.baselines import BASELINES, RECENT_MEAN, baseline_forecasts, recent_mean_forecasts


@pytest.mark.slow
def test_baselines_on_toy_series() -> None:
    ds = pd.date_range("2020-01-01", periods=36, freq="MS")
    season = np.tile(np.arange(1.0, 13.0), 3)  # 1..12 every year
    intermittent = np.where(np.arange(36) % 4 == 0, 8.0, 0.0)
    df = pd.concat(
        [
            pd.DataFrame({"unique_id": "seasonal", "ds": ds, "y": season}),
            pd.DataFrame({"unique_id": "sparse", "ds": ds, "y": intermittent}),
        ]
    )
    out = baseline_forecasts(df, h=3, freq="MS", season_length=12, window=3)
    assert set(out["model"]) == set(BASELINES)
    assert len(out) == len(BASELINES) * 2 * 3
    get = lambda m, s: out[(out["model"] == m) & (out["unique_id"] == s)]  # noqa: E731
    np.testing.assert_allclose(get("SeasonalNaive", "seasonal")["p50"], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(get("Naive", "seasonal")["p50"], [12.0] * 3)
    np.testing.assert_allclose(get("WindowAverage", "seasonal")["p50"], [11.0] * 3)
    croston = get("CrostonOptimized", "sparse")["p50"]
    assert np.all((croston > 0.5) & (croston < 4.0))  # demand rate ~ 8 every 4 periods = 2
    assert (out["p10"] <= out["p50"]).all() and (out["p50"] <= out["p90"]).all()
    assert (out[["p10", "p50", "p90"]] >= 0).all().all()


def test_the_recent_mean_baseline_is_what_the_service_serves_without_a_demand_champion() -> None:
    """Each series' last 28 days as the stock-out check reads them: days without demand count as
    0, a series silent for 28 days forecasts 0, and every day of the horizon gets the same."""
    from alerts.demand import recent_mean_demand
    from features.recent_demand import daily_actuals

    days = pd.date_range("2026-01-01", periods=60, freq="D")
    steady = np.where(np.arange(60) % 2 == 0, 4.0, 2.0)  # 3 a day on average, sd 1
    burst = np.zeros(60)
    burst[-1] = 28.0  # one order on the last day
    silent = np.where(np.arange(60) < 20, 5.0, 0.0)
    df = pd.concat(
        [pd.DataFrame({"unique_id": uid, "ds": days, "y": y}) for uid, y in
         (("SKU1|DC1", steady), ("SKU2|DC1", burst), ("SKU3|DC1", silent))]
    )
    out = recent_mean_forecasts(df, h=3).set_index(["unique_id", "ds"])
    assert set(out["model"]) == {RECENT_MEAN}
    assert out.index.get_level_values("ds").unique().tolist() == list(pd.date_range("2026-03-02", periods=3))
    steady_day = out.loc["SKU1|DC1"].iloc[0]
    assert steady_day["p50"] == pytest.approx(3.0)
    assert (steady_day["p10"], steady_day["p90"]) == (pytest.approx(3.0 - 1.2816, rel=1e-4),
                                                     pytest.approx(3.0 + 1.2816, rel=1e-4))
    assert out.loc["SKU2|DC1", "p10"].eq(0.0).all()  # a burst's spread would go below zero
    assert out.loc["SKU3|DC1", ["p10", "p50", "p90"]].eq(0.0).all().all()

    sold = df[df["y"] > 0].reset_index(drop=True)  # the same demand as orders, one line each
    orders = pd.DataFrame({"order_id": sold.index, "order_time": sold["ds"] + pd.Timedelta(hours=10)})
    lines = pd.DataFrame({"order_id": sold.index, "sku_id": sold["unique_id"].str[:4], "location_id": "DC1",
                          "quantity": sold["y"]})
    keys = pd.DataFrame({"sku_id": ["SKU1", "SKU2", "SKU3"], "location_id": "DC1"})
    served = recent_mean_demand(daily_actuals(lines, orders, days[-1]), keys, days[-1], horizon=3)
    np.testing.assert_allclose(served["p50"], out["p50"].to_numpy())
    np.testing.assert_allclose(served["p90"], out["p90"].to_numpy())
