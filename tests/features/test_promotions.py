"""Promotions as the demand model's known covariates, the same wherever a forecast is made."""

from __future__ import annotations

import pandas as pd

from features.promotions import announced_by, promotion_covariates, with_promotions

PROMOTIONS = pd.DataFrame(
    {
        "sku_id": ["A", "A"],
        "location_id": ["DC-1", "DC-1"],
        "announced_date": pd.to_datetime(["2024-06-01", "2024-06-20"]),
        "start_date": pd.to_datetime(["2024-07-02", "2024-07-03"]),
        "end_date": pd.to_datetime(["2024-07-03", "2024-07-04"]),
        "discount_pct": [0.2, 0.3],
    }
)


def test_promotions_reach_the_forecast_only_on_their_days_at_the_deepest_discount():
    future = promotion_covariates(PROMOTIONS, ["A|DC-1", "B|DC-1"], pd.date_range("2024-07-01", periods=5))
    assert list(future.columns) == ["unique_id", "ds", "promo_active", "promo_discount"]
    assert future["promo_active"].tolist() == [0, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    assert future["promo_discount"].tolist() == [0.0, 0.2, 0.3, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]


def test_a_promotion_counts_only_once_announced():
    targets = pd.DataFrame({"unique_id": "A|DC-1", "ds": pd.date_range("2024-07-01", periods=5), "y": 1.0})
    known = with_promotions(targets, announced_by(PROMOTIONS, pd.Timestamp("2024-06-10")))
    assert known["promo_discount"].tolist() == [0.0, 0.2, 0.2, 0.0, 0.0]
    assert known["y"].tolist() == [1.0] * 5  # the targets' own columns are kept


def test_no_promotions_means_no_promotion_days():
    future = promotion_covariates(PROMOTIONS.iloc[:0], ["A|DC-1"], pd.date_range("2024-07-01", periods=3))
    assert future["promo_active"].tolist() == [0.0, 0.0, 0.0]
    assert future["promo_discount"].tolist() == [0.0, 0.0, 0.0]
