"""Expedites and emergency orders: recommended only when expected avoided cost exceeds cost."""

from __future__ import annotations

import pandas as pd
import pytest

from decisions import choose_emergency_orders, choose_expedites

AS_OF = pd.Timestamp("2026-12-01")


def _position(on_hand=10, penalty=20.0, need="2026-12-10"):
    return pd.DataFrame(
        {
            "sku_id": ["A"],
            "location_id": ["DC1"],
            "on_hand": [on_hand],
            "allocated": [0],
            "demand_p10": [30.0],
            "demand_p50": [40.0],
            "demand_p90": [50.0],
            "need_date": [pd.Timestamp(need)],
            "backorder_penalty": [penalty],
        }
    )


def _po(promised="2026-12-12", quantity=30):
    return pd.DataFrame(
        {
            "po_id": ["P1"],
            "supplier_id": ["S1"],
            "sku_id": ["A"],
            "location_id": ["DC1"],
            "quantity": [quantity],
            "promised_date": [pd.Timestamp(promised)],
            "delay_p10": [0.0],
            "delay_p50": [1.0],
            "delay_p90": [3.0],
        }
    )


def _terms(days=5, cost=2.0):
    return pd.DataFrame(
        {
            "sku_id": ["A"],
            "supplier_id": ["S1"],
            "expedite_days_saved": [days],
            "expedite_cost_per_unit": [cost],
        }
    )


def test_expedite_is_chosen_only_when_expected_avoided_cost_exceeds_its_cost():
    cheap = choose_expedites(_position(), _po(), _terms(cost=2.0))
    assert cheap["po_id"].tolist() == ["P1"]
    row = cheap.iloc[0]
    assert row["on_time_probability_before"] < 0.05 < 0.5 < row["on_time_probability_after"]
    assert row["expected_cost_avoided"] > row["cost"] == pytest.approx(60.0)
    # The same PO with an expedite dearer than what it avoids is not recommended.
    dear_cost = row["expected_cost_avoided"] / 30 + 0.5
    assert choose_expedites(_position(), _po(), _terms(cost=dear_cost)).empty
    shown = choose_expedites(_position(), _po(), _terms(cost=dear_cost), include_rejected=True)
    assert not shown["chosen"].any() and "below the expedite cost" in shown.iloc[0]["reason"]


def test_no_expedite_when_the_location_is_not_at_risk_or_the_po_is_already_in_time():
    assert choose_expedites(_position(on_hand=500), _po(), _terms()).empty
    assert choose_expedites(_position(), _po(promised="2026-12-02"), _terms()).empty


def test_po_without_expedite_terms_is_not_expedited():
    terms = _terms().assign(expedite_days_saved=None, expedite_cost_per_unit=None)
    shown = choose_expedites(_position(), _po(), terms, include_rejected=True)
    assert not shown["chosen"].any() and "offers no expedite" in shown.iloc[0]["reason"]


def _options():
    return pd.DataFrame(
        {
            "sku_id": "A",
            "supplier_id": ["PRIMARY", "FAST", "SLOW", "FLAKY"],
            "is_primary": [True, False, False, False],
            "quoted_lead_time_days": [30, 4, 15, 3],
            "unit_cost": [10.0, 11.0, 10.5, 10.2],
            "moq": [0, 10, 0, 0],
            "reliability": [0.9, 0.95, 0.99, 0.3],
        }
    )


def test_emergency_order_picks_a_reliable_alternate_that_arrives_in_time():
    out = choose_emergency_orders(_position(), _options(), AS_OF, fixed_cost=50.0)
    assert out["supplier_id"].tolist() == ["FAST"]  # SLOW arrives too late, FLAKY saves less
    row = out.iloc[0]
    assert row["quantity"] == 40  # up to P90 demand 50 from projected stock 10
    assert row["cost"] == pytest.approx(40 * 1.0 + 50.0)
    assert row["expected_units_saved"] > 25


def test_no_emergency_order_when_it_does_not_pay_or_nothing_is_short():
    assert choose_emergency_orders(_position(penalty=0.5), _options(), AS_OF, fixed_cost=50.0).empty
    assert choose_emergency_orders(_position(on_hand=60), _options(), AS_OF).empty
    assert choose_emergency_orders(_position(need="2026-12-03"), _options(), AS_OF).empty


def test_an_expedite_never_saves_more_units_than_the_po_brings():
    """The PO is the SKU-location's only stock: the forecast sees little shortfall once it lands, the
    risk model a high one; the expedite may save at most the PO's own units, not thousands."""
    positions = pd.DataFrame(
        {
            "sku_id": ["A"], "location_id": ["DC1"], "on_hand": [0.0], "allocated": [0.0],
            "demand_p10": [10.0], "demand_p50": [20.0], "demand_p90": [40.0],
            "need_date": [pd.Timestamp("2026-03-20")], "backorder_penalty": [50.0],
            "inbound_quantity": [0.0], "backorder_probability": [0.9],
        }
    )
    inbound = pd.DataFrame(
        {
            "po_id": ["P1"], "sku_id": ["A"], "location_id": ["DC1"], "supplier_id": ["S1"],
            "quantity": [107.0], "promised_date": [pd.Timestamp("2026-03-18")],
            "delay_p10": [0.0], "delay_p50": [1.0], "delay_p90": [4.0],
        }
    )
    terms = pd.DataFrame(
        {"sku_id": ["A"], "supplier_id": ["S1"], "expedite_days_saved": [7.0], "expedite_cost_per_unit": [1.0]}
    )
    chosen = choose_expedites(positions, inbound, terms, include_rejected=True)
    assert len(chosen) == 1
    assert 0 < chosen["units_saved"].iloc[0] <= inbound["quantity"].iloc[0]
