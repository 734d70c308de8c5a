"""Recommendations of all decisions stack into one ranked list with reason, effect and cost."""

from __future__ import annotations

import pandas as pd
import pytest

from decisions import (
    RECOMMENDATION_COLUMNS,
    allocate,
    combine_recommendations,
    plan_transfers,
    to_records,
)

AS_OF = pd.Timestamp("2026-12-01")


def test_decisions_combine_into_one_list_ranked_by_net_benefit():
    positions = pd.DataFrame(
        {
            "sku_id": "A",
            "location_id": ["SRC", "DST"],
            "on_hand": [200, 10],
            "allocated": 0,
            "demand_p10": 30.0,
            "demand_p50": 40.0,
            "demand_p90": 50.0,
            "need_date": pd.Timestamp("2026-12-09"),
            "backorder_penalty": 20.0,
        }
    )
    lanes = pd.DataFrame(
        {
            "from_location_id": ["SRC"],
            "to_location_id": ["DST"],
            "transit_days": [2],
            "cost_per_unit": [1.0],
        }
    )
    lines = pd.DataFrame(
        {
            "order_id": ["o1"],
            "line_id": ["1"],
            "sku_id": ["A"],
            "location_id": ["DST"],
            "quantity": [4],
            "allow_split": [False],
            "customer_tier": ["gold"],
            "requested_date": [AS_OF],
            "unit_margin": [3.0],
            "backorder_penalty": [20.0],
        }
    )
    combined = combine_recommendations(
        allocate(lines, positions), plan_transfers(positions, lanes, AS_OF)
    )
    assert list(combined.columns) == list(RECOMMENDATION_COLUMNS)
    assert combined["action"].tolist() == ["transfer", "allocate"]
    assert combined["net_benefit"].is_monotonic_decreasing
    records = to_records(combined)
    assert records[1].expected_cost_avoided == pytest.approx(80.0) and records[1].cost == 0.0
    assert all(r.reason for r in records)


def test_a_frame_without_the_common_columns_is_rejected():
    with pytest.raises(ValueError, match="missing column"):
        combine_recommendations(pd.DataFrame({"sku_id": ["A"]}))
