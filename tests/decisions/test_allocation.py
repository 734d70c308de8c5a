"""Priority allocation: gold before bronze, partial shipments only where the order allows them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from decisions import PriorityRules, allocate


def _lines(rows):
    df = pd.DataFrame(
        rows, columns=["order_id", "customer_tier", "quantity", "allow_split", "requested_date"]
    )
    df["requested_date"] = pd.to_datetime(df["requested_date"])
    return df.assign(line_id="1", sku_id="A", location_id="DC1", unit_margin=1.0)


def _stock(on_hand, allocated=0):
    return pd.DataFrame(
        {"sku_id": ["A"], "location_id": ["DC1"], "on_hand": [on_hand], "allocated": [allocated]}
    )


def test_gold_is_served_before_bronze_regardless_of_input_order():
    lines = _lines([("b", "bronze", 8, True, "2026-12-01"), ("g", "gold", 8, True, "2026-12-05")])
    out = allocate(lines, _stock(10))
    assert out["order_id"].tolist() == ["b", "g"]  # input order kept
    assert out.set_index("order_id")["allocated_quantity"].to_dict() == {"g": 8, "b": 2}
    assert out.set_index("order_id")["status"].to_dict() == {"g": "full", "b": "partial"}


def test_a_line_that_may_not_split_ships_whole_or_not_at_all():
    lines = _lines([("g", "gold", 6, True, "2026-12-01"), ("s", "silver", 6, False, "2026-12-01")])
    out = allocate(lines, _stock(10)).set_index("order_id")
    assert out.loc["s", "allocated_quantity"] == 0
    assert out.loc["s", "status"] == "none"
    assert "may not split" in out.loc["s", "reason"]
    allowed = allocate(lines.assign(allow_split=True), _stock(10)).set_index("order_id")
    assert allowed.loc["s", "allocated_quantity"] == 4


def test_backfill_gives_stock_a_blocked_line_cannot_use_to_smaller_lines_and_strict_does_not():
    lines = _lines(
        [
            ("g", "gold", 8, False, "2026-12-01"),
            ("s", "silver", 3, False, "2026-12-01"),
            ("b", "bronze", 4, False, "2026-12-01"),
        ]
    )
    filled = allocate(lines, _stock(10), rules=PriorityRules(keys=("tier",)))
    assert filled["allocated_quantity"].tolist() == [8, 0, 0]
    blocked = _lines(
        [
            ("g", "gold", 12, False, "2026-12-01"),
            ("s", "silver", 3, False, "2026-12-01"),
            ("b", "bronze", 4, True, "2026-12-01"),
        ]
    )
    backfilled = allocate(blocked, _stock(10))
    assert backfilled["allocated_quantity"].tolist() == [0, 3, 4]
    strict = allocate(blocked, _stock(10), backfill=False)
    assert strict["allocated_quantity"].tolist() == [0, 0, 0]


def test_existing_allocations_reduce_free_stock_and_rules_are_configurable():
    lines = _lines(
        [("early", "bronze", 5, True, "2026-12-01"), ("late", "gold", 5, True, "2026-12-09")]
    )
    by_date = allocate(
        lines, _stock(12, allocated=7), rules=PriorityRules(keys=("requested_date",))
    )
    assert by_date["allocated_quantity"].tolist() == [5, 0]
    by_margin = allocate(
        lines.assign(unit_margin=[1.0, 9.0]),
        _stock(12, allocated=7),
        rules=PriorityRules(keys=("margin",)),
    )
    assert by_margin["allocated_quantity"].tolist() == [0, 5]


def test_sla_rule_uses_the_tier_due_date():
    lines = _lines([("s", "silver", 5, True, "2026-12-01"), ("g", "gold", 5, True, "2026-12-01")])
    lines["order_time"] = pd.to_datetime(
        ["2026-11-20", "2026-11-30"]
    )  # silver due 11-23, gold 12-01
    out = allocate(lines, _stock(5), rules=PriorityRules(keys=("sla",)))
    assert out["allocated_quantity"].tolist() == [5, 0]


def test_many_sku_locations_match_a_line_by_line_reference():
    rng = np.random.default_rng(3)
    n = 400
    lines = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "line_id": "1",
            "sku_id": rng.choice(["A", "B", "C"], n),
            "location_id": rng.choice(["L1", "L2"], n),
            "quantity": rng.integers(1, 20, n),
            "allow_split": rng.random(n) < 0.5,
            "customer_tier": rng.choice(["gold", "silver", "bronze"], n),
            "requested_date": pd.Timestamp("2026-12-01")
            + pd.to_timedelta(rng.integers(0, 9, n), unit="D"),
            "unit_margin": rng.random(n),
        }
    )
    stock = pd.MultiIndex.from_product(
        [["A", "B", "C"], ["L1", "L2"]], names=["sku_id", "location_id"]
    )
    stock = stock.to_frame(index=False).assign(on_hand=rng.integers(0, 600, 6), allocated=0)
    out = allocate(lines, stock)
    # Reference: walk each SKU-location in priority order, skipping lines that cannot ship whole.
    expected = pd.Series(0.0, index=out.index)
    ranked = out.sort_values(["sku_id", "location_id", "priority_rank"])
    for (sku, loc), group in ranked.groupby(["sku_id", "location_id"]):
        left = float(stock.set_index(["sku_id", "location_id"]).loc[(sku, loc), "on_hand"])
        for idx, line in group.iterrows():
            give = (
                min(line["quantity"], left)
                if line["allow_split"]
                else (line["quantity"] if line["quantity"] <= left else 0)
            )
            expected[idx] = give
            left -= give
    np.testing.assert_array_equal(out["allocated_quantity"].to_numpy(), expected.to_numpy())
