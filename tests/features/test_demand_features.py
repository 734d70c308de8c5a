"""Demand features equal straightforward pandas references and never look past day t."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build import sku_location_table
from features.demand import order_demand

DAY0 = pd.Timestamp("2024-01-01")


def _inputs(frame_of, demand: dict[str, np.ndarray], promotions=()):
    """Snapshots + one order line per day with demand > 0 for each SKU at DC-1."""
    snaps, orders, lines = [], [], []
    for sku, y in demand.items():
        for d, qty in enumerate(y):
            day = DAY0 + pd.Timedelta(days=d)
            snaps.append(
                {
                    "snapshot_date": day,
                    "sku_id": sku,
                    "location_id": "DC-1",
                    "on_hand": 5,
                    "allocated": 1,
                    "in_transit": 0,
                    "backordered": 0,
                }
            )
            if qty > 0:
                oid = f"{sku}-{d}"
                orders.append(
                    {
                        "order_id": oid,
                        "customer_id": "C",
                        "customer_tier": "gold",
                        "order_time": day + pd.Timedelta(hours=23, minutes=59),
                        "allow_split": True,
                    }
                )
                lines.append(
                    {
                        "order_id": oid,
                        "line_id": "1",
                        "sku_id": sku,
                        "location_id": "DC-1",
                        "quantity": int(qty),
                        "requested_date": day,
                        "backordered_quantity": 0,
                    }
                )
    terms = [
        {
            "sku_id": s,
            "supplier_id": "S-1",
            "is_primary": True,
            "quoted_lead_time_days": 5,
            "unit_cost": 1.0,
            "moq": 1,
        }
        for s in demand
    ]
    return dict(
        snapshots=frame_of("inventory_snapshots", snaps),
        lines=order_demand(frame_of("order_lines", lines), frame_of("orders", orders)),
        promotions=frame_of("promotions", list(promotions)),
        purchase_orders=frame_of("purchase_orders", []),
        asn_events=frame_of("asn_events", []),
        sku_suppliers=frame_of("sku_suppliers", terms),
    )


@pytest.fixture
def two_series():
    rng = np.random.default_rng(3)
    y_a = rng.poisson(1.5, 130) * (rng.random(130) < 0.4)
    y_b = rng.poisson(4.0, 100)
    return {"SKU-A": y_a, "SKU-B": y_b}


def test_window_statistics_match_pandas_rolling(frame_of, two_series):
    table = sku_location_table(**_inputs(frame_of, two_series))
    for sku, y in two_series.items():
        rows = table[table["sku_id"] == sku].reset_index(drop=True)
        series = pd.Series(y, dtype="float64")
        for w in (7, 28, 91):
            np.testing.assert_allclose(
                rows[f"demand_sum_{w}"], series.rolling(w).sum(), equal_nan=True
            )
            np.testing.assert_allclose(
                rows[f"demand_mean_{w}"], series.rolling(w).mean(), equal_nan=True
            )
            np.testing.assert_allclose(
                rows[f"demand_std_{w}"], series.rolling(w).std(), equal_nan=True, atol=1e-9
            )


def test_intermittency_trend_and_recency_match_definitions(frame_of, two_series):
    table = sku_location_table(**_inputs(frame_of, two_series))
    rows = table[table["sku_id"] == "SKU-A"].reset_index(drop=True)
    y = two_series["SKU-A"].astype("float64")
    t = 120
    window = y[t - 90 : t + 1]
    sizes = window[window > 0]
    assert rows.loc[t, "adi_91"] == pytest.approx(91 / len(sizes))
    assert rows.loc[t, "cv2_91"] == pytest.approx(sizes.var() / sizes.mean() ** 2)
    slope = np.polyfit(np.arange(28), y[t - 27 : t + 1], 1)[0]
    assert rows.loc[t, "demand_trend_28"] == pytest.approx(slope)
    last_sale = np.flatnonzero(y[: t + 1] > 0)[-1]
    assert rows.loc[t, "days_since_last_sale"] == t - last_sale


def test_series_do_not_bleed_into_each_other(frame_of, two_series):
    """SKU-B's first 6 days have no full 7-day window even though SKU-A's rows precede them."""
    table = sku_location_table(**_inputs(frame_of, two_series))
    b = table[table["sku_id"] == "SKU-B"].reset_index(drop=True)
    assert b["demand_sum_7"].iloc[:6].isna().all()
    assert b.loc[6, "demand_sum_7"] == two_series["SKU-B"][:7].sum()


def test_promotion_counts_only_once_announced_and_within_horizon(frame_of):
    promo = {
        "promotion_id": "P",
        "sku_id": "SKU-A",
        "location_id": "DC-1",
        "announced_date": DAY0 + pd.Timedelta(days=10),
        "start_date": DAY0 + pd.Timedelta(days=20),
        "end_date": DAY0 + pd.Timedelta(days=22),
        "discount_pct": 0.3,
    }
    table = sku_location_table(**_inputs(frame_of, {"SKU-A": np.ones(40, int)}, [promo]), horizon=7)
    soon = table["promo_next_h"].to_numpy()
    # Known from day 10, in (t, t+7] from day 13 (20 - 7) until day 21 (the last day is 22).
    assert np.flatnonzero(soon).tolist() == list(range(13, 22))
    assert table.loc[15, "promo_discount_next_h"] == pytest.approx(0.3)
    assert np.flatnonzero(table["promo_active"]).tolist() == [20, 21, 22]


def test_forecast_error_uses_only_targets_up_to_t(frame_of):
    y = np.full(60, 4)
    inputs = _inputs(frame_of, {"SKU-A": y})
    ds = DAY0 + pd.to_timedelta(np.arange(60), unit="D")
    forecasts = pd.DataFrame({"sku_id": "SKU-A", "location_id": "DC-1", "ds": ds, "forecast": 5.0})
    base = sku_location_table(**inputs, forecasts=forecasts)
    assert base.loc[40, "forecast_bias_28"] == pytest.approx(-1.0)
    assert base.loc[40, "forecast_wape_28"] == pytest.approx(0.25)
    later = forecasts.assign(forecast=np.where(ds > DAY0 + pd.Timedelta(days=40), 100.0, 5.0))
    changed = sku_location_table(**inputs, forecasts=later)
    assert changed.loc[40, "forecast_bias_28"] == base.loc[40, "forecast_bias_28"]
    assert changed.loc[41, "forecast_bias_28"] != base.loc[41, "forecast_bias_28"]


def test_forecasts_missing_a_column_are_rejected_by_name(frame_of):
    bad = pd.DataFrame({"sku_id": ["SKU-A"], "location_id": ["DC-1"], "ds": [DAY0]})
    with pytest.raises(ValueError, match="forecast"):
        sku_location_table(**_inputs(frame_of, {"SKU-A": np.ones(10, int)}), forecasts=bad)
