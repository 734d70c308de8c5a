"""Replenishment parameters: safety stock follows variability, EOQ follows the textbook formula."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from decisions import reorder_recommendations, replenishment_parameters


def _items(demand=(250.0, 300.0, 350.0), lead=(6.0, 7.0, 8.0), **extra):
    row = {
        "sku_id": "A",
        "location_id": "DC1",
        "demand_p10": demand[0],
        "demand_p50": demand[1],
        "demand_p90": demand[2],
        "horizon_days": 30,
        "lead_time_p10": lead[0],
        "lead_time_p50": lead[1],
        "lead_time_p90": lead[2],
        "unit_cost": 10.0,
        "holding_cost_rate": 0.25,
        "order_cost": 50.0,
    }
    return pd.DataFrame([row | extra])


def test_safety_stock_grows_with_demand_variability():
    calm = replenishment_parameters(_items(demand=(280.0, 300.0, 320.0)))
    wild = replenishment_parameters(_items(demand=(150.0, 300.0, 450.0)))
    assert wild.loc[0, "safety_stock"] > calm.loc[0, "safety_stock"] > 0
    assert (
        wild.loc[0, "reorder_point"] - calm.loc[0, "reorder_point"]
        == wild.loc[0, "safety_stock"] - calm.loc[0, "safety_stock"]
    )


def test_safety_stock_grows_with_lead_time_variability_and_service_level():
    steady = replenishment_parameters(_items(lead=(6.9, 7.0, 7.1)))
    erratic = replenishment_parameters(_items(lead=(3.0, 7.0, 11.0)))
    assert erratic.loc[0, "safety_stock"] > steady.loc[0, "safety_stock"]
    assert (
        replenishment_parameters(_items(), 0.99).loc[0, "safety_stock"]
        > replenishment_parameters(_items(), 0.90).loc[0, "safety_stock"]
    )


def test_symmetric_inputs_give_the_textbook_safety_stock_and_reorder_point():
    out = replenishment_parameters(_items(), service_level=0.95).iloc[0]
    sigma_d = (50.0 / 1.2815516) / math.sqrt(30)  # horizon s.d. spread over 30 independent days
    sigma_l = 1.0 / 1.2815516
    expected = 1.6448536 * math.sqrt(7 * sigma_d**2 + 10.0**2 * sigma_l**2)
    assert out["daily_demand_mean"] == pytest.approx(10.0)
    assert out["safety_stock"] == math.ceil(expected)
    assert out["reorder_point"] == 70 + math.ceil(expected)


def test_order_quantity_is_the_eoq_formula_but_not_below_moq():
    out = replenishment_parameters(_items()).iloc[0]
    eoq = math.sqrt(2 * 10.0 * 365 * 50.0 / (0.25 * 10.0))
    assert out["eoq"] == pytest.approx(eoq)
    assert out["order_quantity"] == math.ceil(eoq)
    assert replenishment_parameters(_items(moq=1000)).loc[0, "order_quantity"] == 1000


def test_reorder_recommended_only_at_or_below_the_reorder_point():
    params = replenishment_parameters(_items())
    rop = params.loc[0, "reorder_point"]
    low = _items(on_hand=rop - 20, allocated=0, inbound_quantity=20, backorder_penalty=5.0)
    high = _items(on_hand=rop + 1, allocated=0, inbound_quantity=0)
    rec = reorder_recommendations(low, params)
    assert rec["quantity"].tolist() == [params.loc[0, "order_quantity"]]
    assert rec.loc[rec.index[0], "cost"] == 50.0 and rec["expected_units_saved"].iloc[0] > 0
    assert reorder_recommendations(high, params).empty


def test_bad_parameters_are_rejected_by_name():
    with pytest.raises(ValueError, match="holding_cost_rate"):
        replenishment_parameters(_items(holding_cost_rate=0.0))
    with pytest.raises(ValueError, match="service_level"):
        replenishment_parameters(_items(), service_level=1.2)
