"""Reallocation LP: surplus moves to the at-risk location only when it pays and arrives in time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from decisions import plan_transfers

AS_OF = pd.Timestamp("2026-12-01")
NEED = pd.Timestamp("2026-12-10")


def _positions(on_hand=(200, 10), safety=(20, 5), penalty=20.0, sku="A"):
    return pd.DataFrame(
        {
            "sku_id": sku,
            "location_id": ["SRC", "DST"],
            "on_hand": list(on_hand),
            "allocated": 0,
            "demand_p10": [40.0, 30.0],
            "demand_p50": [50.0, 40.0],
            "demand_p90": [60.0, 50.0],
            "safety_stock": list(safety),
            "need_date": NEED,
            "backorder_penalty": penalty,
        }
    )


def _lane(transit_days=3, cost=1.0):
    return pd.DataFrame(
        {
            "from_location_id": ["SRC"],
            "to_location_id": ["DST"],
            "transit_days": [transit_days],
            "cost_per_unit": [cost],
        }
    )


def test_surplus_moves_to_the_at_risk_location_and_the_effect_is_reported():
    out = plan_transfers(_positions(), _lane(), AS_OF)
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["from_location_id"], row["to_location_id"]) == ("SRC", "DST")
    assert row["quantity"] == int(row["quantity"]) and 30 <= row["quantity"] <= 120
    assert row["arrival_date"] == pd.Timestamp("2026-12-04")
    assert row["cost"] == pytest.approx(row["quantity"] * 1.0)
    assert row["expected_units_saved"] > 25  # 30 units expected short at DST before
    assert row["net_benefit"] == pytest.approx(row["expected_units_saved"] * 20 - row["cost"])
    assert "SRC" in row["reason"] and "DST" in row["reason"]


def test_never_takes_a_source_below_its_own_p90_need_plus_safety_stock():
    out = plan_transfers(_positions(on_hand=(85, 0)), _lane(), AS_OF)
    assert out["quantity"].sum() == 5  # 85 - (P90 60 + safety stock 20)
    nothing_spare = plan_transfers(_positions(on_hand=(80, 0)), _lane(), AS_OF)
    assert nothing_spare.empty


def test_no_transfer_when_the_lane_arrives_after_the_need_date():
    assert plan_transfers(_positions(), _lane(transit_days=9), AS_OF).shape[0] == 1
    assert plan_transfers(_positions(), _lane(transit_days=10), AS_OF).empty


def test_no_transfer_when_the_transfer_costs_more_than_the_backorder_penalty():
    assert plan_transfers(_positions(penalty=5.0), _lane(cost=6.0), AS_OF).empty
    assert not plan_transfers(_positions(penalty=7.0), _lane(cost=6.0), AS_OF).empty


def test_cheaper_units_are_not_moved_past_the_point_where_they_stop_paying():
    cheap = plan_transfers(_positions(), _lane(cost=0.5), AS_OF)["quantity"].sum()
    dear = plan_transfers(_positions(), _lane(cost=15.0), AS_OF)["quantity"].sum()
    assert cheap > dear > 0


def test_the_risk_models_probability_scales_the_value_of_a_transfer():
    low_risk = _positions(on_hand=(200, 45)).assign(backorder_probability=[0.0, 0.05])
    high_risk = _positions(on_hand=(200, 45)).assign(backorder_probability=[0.0, 0.9])
    lane = _lane(cost=4.0)
    assert plan_transfers(low_risk, lane, AS_OF).empty
    assert plan_transfers(high_risk, lane, AS_OF)["quantity"].sum() > 0


def test_all_skus_in_one_lp_give_the_same_moves_as_one_lp_per_sku():
    rng = np.random.default_rng(7)
    locs = ["L1", "L2", "L3", "L4"]
    frames = []
    for k in range(30):
        p50 = rng.uniform(20, 80, 4)
        frames.append(
            pd.DataFrame(
                {
                    "sku_id": f"S{k}",
                    "location_id": locs,
                    "on_hand": rng.integers(0, 200, 4),
                    "allocated": 0,
                    "demand_p10": p50 * 0.7,
                    "demand_p50": p50,
                    "demand_p90": p50 * 1.4,
                    "safety_stock": 5.0,
                    "need_date": AS_OF + pd.to_timedelta(rng.integers(1, 8, 4), unit="D"),
                    "backorder_penalty": rng.uniform(2, 30),
                }
            )
        )
    positions = pd.concat(frames, ignore_index=True)
    lanes = pd.DataFrame(
        [
            (a, b, int(rng.integers(1, 5)), float(rng.uniform(0.5, 5)))
            for a in locs
            for b in locs
            if a != b
        ],
        columns=["from_location_id", "to_location_id", "transit_days", "cost_per_unit"],
    )
    together = plan_transfers(positions, lanes, AS_OF)
    separate = pd.concat([plan_transfers(g, lanes, AS_OF) for _, g in positions.groupby("sku_id")])
    assert not together.empty
    assert together["net_benefit"].sum() == pytest.approx(separate["net_benefit"].sum(), rel=1e-6)
    moved = together.groupby(["sku_id", "from_location_id"])["quantity"].sum()
    pos = positions.set_index(["sku_id", "location_id"])
    spare = pos["on_hand"] - pos["demand_p90"] - pos["safety_stock"]
    assert (moved <= spare.reindex(moved.index) + 1e-9).all()
    assert (together["arrival_date"] <= together["need_date"]).all()
    assert (together["net_benefit"] > 0).all()


def test_only_free_stock_on_the_shelf_can_leave_even_if_inbound_makes_a_surplus():
    positions = _positions(on_hand=(30, 10)).assign(inbound_quantity=[200, 0], allocated=[20, 0])
    out = plan_transfers(positions, _lane(), AS_OF)
    assert out["quantity"].sum() == 10  # 30 on hand - 20 allocated, although 210 is projected
