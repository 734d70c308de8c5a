"""Promise dates: free stock first, then open POs at their ETA quantile for the confidence."""

from __future__ import annotations

import pandas as pd
import pytest

from decisions import PriorityRules, inbound_by_date, promise_dates

AS_OF = pd.Timestamp("2026-12-01")


def _lines(quantities, tiers=None):
    n = len(quantities)
    return pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "line_id": "1",
            "sku_id": "A",
            "location_id": "DC1",
            "quantity": quantities,
            "requested_date": pd.Timestamp("2026-12-03"),
            "customer_tier": tiers or ["silver"] * n,
        }
    )


def _stock(on_hand, allocated=0):
    return pd.DataFrame(
        {"sku_id": ["A"], "location_id": ["DC1"], "on_hand": [on_hand], "allocated": [allocated]}
    )


def _po(quantity=50, promised="2026-12-05", delays=(-1.0, 1.0, 4.0), po_id="P1"):
    return pd.DataFrame(
        {
            "po_id": [po_id],
            "sku_id": ["A"],
            "location_id": ["DC1"],
            "quantity": [quantity],
            "promised_date": [pd.Timestamp(promised)],
            "delay_p10": [delays[0]],
            "delay_p50": [delays[1]],
            "delay_p90": [delays[2]],
        }
    )


def test_line_covered_by_free_stock_is_promised_today():
    out = promise_dates(_lines([5]), _stock(10, allocated=3), _po(), AS_OF)
    assert out.loc[0, "promise_date"] == AS_OF
    assert out.loc[0, "quantity_from_stock"] == 5
    assert bool(out.loc[0, "on_time"])


def test_one_inbound_po_gives_its_eta_quantile_as_promise_date():
    # 7 free, line needs 10: the rest comes with P1, promised Dec 5, p90 delay 4 days -> Dec 9.
    out = promise_dates(_lines([10]), _stock(10, allocated=3), _po(), AS_OF, confidence=0.9)
    assert out.loc[0, "promise_date"] == pd.Timestamp("2026-12-09")
    assert out.loc[0, "covering_po_id"] == "P1"
    assert out.loc[0, "quantity_from_stock"] == 7
    assert out.loc[0, "days_late"] == 6
    at_median = promise_dates(_lines([10]), _stock(10, allocated=3), _po(), AS_OF, confidence=0.5)
    assert at_median.loc[0, "promise_date"] == pd.Timestamp("2026-12-06")
    assert "P1" in out.loc[0, "reason"]


def test_higher_priority_lines_consume_supply_first():
    lines = _lines([6, 6], tiers=["bronze", "gold"])
    out = promise_dates(lines, _stock(6), _po(), AS_OF, rules=PriorityRules(keys=("tier",)))
    assert out.loc[1, "promise_date"] == AS_OF  # gold takes the free stock
    assert out.loc[0, "promise_date"] == pd.Timestamp("2026-12-09")  # bronze waits for the PO
    fifo = promise_dates(lines, _stock(6), _po(), AS_OF)  # no rules: given order
    assert fifo.loc[0, "promise_date"] == AS_OF


def test_late_po_is_never_promised_in_the_past_and_uncovered_lines_get_no_date():
    late = _po(quantity=5, promised="2026-11-20", delays=(0.0, 1.0, 2.0))
    out = promise_dates(_lines([5, 10]), _stock(0), late, AS_OF)
    assert out.loc[0, "promise_date"] == AS_OF
    assert pd.isna(out.loc[1, "promise_date"])
    assert out.loc[1, "uncovered_quantity"] == 10
    assert "not covered" in out.loc[1, "reason"]


def test_many_sku_locations_are_promised_independently():
    lines = pd.concat(
        [_lines([4]), _lines([4]).assign(sku_id="B", order_id="x")], ignore_index=True
    )
    stock = pd.concat([_stock(4), _stock(0).assign(sku_id="B")], ignore_index=True)
    pos = pd.concat(
        [_po(), _po(po_id="P2", promised="2026-12-20").assign(sku_id="B")], ignore_index=True
    )
    out = promise_dates(lines, stock, pos, AS_OF)
    assert out["promise_date"].tolist() == [AS_OF, pd.Timestamp("2026-12-24")]


def test_bad_input_names_the_field():
    with pytest.raises(ValueError, match="inbound.delay_p90"):
        promise_dates(
            _lines([1]), _stock(1), _po().drop(columns="delay_p90").assign(delay_p90=None), AS_OF
        )
    with pytest.raises(ValueError, match="crossed quantiles"):
        promise_dates(_lines([1]), _stock(1), _po(delays=(3.0, 1.0, 4.0)), AS_OF)
    with pytest.raises(ValueError, match="missing column"):
        promise_dates(_lines([1]).drop(columns="quantity"), _stock(1), _po(), AS_OF)


def test_inbound_by_date_counts_only_pos_confidently_in_by_each_date():
    pos = pd.concat(
        [_po(po_id="P1"), _po(po_id="P2", quantity=7, promised="2026-12-20")], ignore_index=True
    )
    dates = pd.DataFrame(
        {
            "sku_id": ["A", "A", "B"],
            "location_id": "DC1",
            "date": pd.to_datetime(["2026-12-08", "2026-12-09", "2026-12-31"]),
        }
    )
    units = inbound_by_date(pos, dates, confidence=0.9, as_of=AS_OF)
    assert units.tolist() == [0.0, 50.0, 0.0]  # P1's p90 ETA is Dec 9; SKU B has no PO


def test_no_lines_give_an_empty_answer():
    out = promise_dates(_lines([1]).iloc[:0], _stock(1), _po(), AS_OF)
    assert out.empty and "promise_date" in out.columns
