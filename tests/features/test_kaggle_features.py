"""Inventory-logic features of the Kaggle snapshot: what a planner would read off a SKU's row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from contracts.kaggle import FLAG_COLUMNS, QUANTITY_COLUMNS, to_kaggle_table
from features.kaggle_features import FEATURES, REASON_TEMPLATES, kaggle_features


def _snapshot(**columns: list[float]) -> pd.DataFrame:
    rows = len(next(iter(columns.values())))
    raw = pd.DataFrame({name: [0.0] * rows for name in QUANTITY_COLUMNS})
    raw["perf_6_month_avg"] = raw["perf_12_month_avg"] = 0.9
    for name in FLAG_COLUMNS:
        raw[name] = "No"
    for name, values in columns.items():
        raw[name] = values
    return to_kaggle_table(raw)


def test_a_zero_forecast_does_not_hide_demand_that_sales_show():
    # Same stock and lead time; the first SKU's forecast is zero but it sold 40 last month.
    x = kaggle_features(
        _snapshot(
            national_inv=[30.0, 30.0],
            lead_time=[8.0, 8.0],
            forecast_3_month=[0.0, 0.0],
            sales_1_month=[40.0, 0.0],
            sales_3_month=[90.0, 0.0],
        )
    )
    assert x.loc[0, "projected_stock_at_lead_time"] == x.loc[1, "projected_stock_at_lead_time"] == 30.0
    assert x.loc[0, "monthly_demand_max"] == 40.0
    assert x.loc[0, "projected_stock_max_demand"] < 0 < x.loc[1, "projected_stock_max_demand"]
    assert x.loc[0, "sales_1m_to_stock"] > 1.0


def test_forecast_beyond_three_months_shows_demand_that_starts_later():
    x = kaggle_features(_snapshot(forecast_3_month=[0.0, 30.0], forecast_9_month=[120.0, 90.0]))
    assert x["forecast_beyond_3m"].tolist() == [20.0, 10.0]
    assert x.loc[0, "monthly_demand_max"] == 120.0 / 9.0


def test_dormant_skus_get_finite_features_and_unknown_lead_time_stays_missing():
    x = kaggle_features(_snapshot(national_inv=[0.0, -5.0], lead_time=[np.nan, 4.0]))
    assert list(x.columns) == list(FEATURES)
    assert np.isnan(x.loc[0, "lead_time"]) and x.loc[0, "lead_time_missing"] == 1.0
    derived = x.drop(columns=["lead_time"])
    assert np.isfinite(derived.to_numpy()).all()


def test_every_feature_has_a_reason_that_shows_its_value():
    assert set(REASON_TEMPLATES) == set(FEATURES)
    x = kaggle_features(_snapshot(national_inv=[12.0], sales_1_month=[7.0]))
    reasons = {name: REASON_TEMPLATES[name].format(value=x.loc[0, name]) for name in FEATURES}
    assert reasons["national_inv"] == "stock on hand is 12 units"
    assert reasons["monthly_demand_max"] == "the higher of forecast and recent sales is 7 units a month"
