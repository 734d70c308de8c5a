"""Promise dates on arrays match a line-by-line walk through each SKU-location's supply, and the
planning form (``promise_dates``) returns the same answers with its input order and index."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from decisions import SupplyRows, eta_dates, promise_dates, promise_lines

AS_OF = pd.Timestamp("2026-03-02")


def _random_case(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    skus, locations = ["A", "B", "C"], ["DC1", "DC2"]
    grid = pd.MultiIndex.from_product([skus, locations], names=["sku_id", "location_id"]).to_frame(index=False)
    stock = grid.sample(frac=0.8, random_state=seed).assign(
        on_hand=lambda f: rng.integers(0, 30, len(f)).astype(float),
        allocated=lambda f: rng.integers(0, 10, len(f)).astype(float),
    )
    n_po = int(rng.integers(0, 8))
    pick = grid.sample(n_po, replace=True, random_state=seed + 1).reset_index(drop=True)
    d10 = rng.uniform(-3, 3, n_po)
    inbound = pick.assign(
        po_id=[f"PO{i}" for i in range(n_po)],
        quantity=rng.integers(1, 40, n_po).astype(float),
        promised_date=AS_OF + pd.to_timedelta(rng.integers(-5, 20, n_po), unit="D"),
        delay_p10=d10,
        delay_p50=d10 + rng.uniform(0, 3, n_po),
        delay_p90=d10 + rng.uniform(3, 9, n_po),
    )
    n = 12
    lines = grid.sample(n, replace=True, random_state=seed + 2).reset_index(drop=True).assign(
        order_id="O1",
        line_id=[str(i) for i in range(n)],
        quantity=rng.integers(1, 25, n).astype(float),
        requested_date=AS_OF + pd.to_timedelta(rng.integers(0, 15, n), unit="D"),
    )
    lines.index = lines.index + 100
    return lines, stock, inbound


def _walk_the_supply(lines, stock, inbound, confidence):
    """The rule, one line at a time: a line takes supply after the earlier lines of its
    SKU-location, first free stock, then POs in ETA order; it is promised the date the running
    supply first covers it."""
    eta = eta_dates(
        inbound["promised_date"].to_numpy("datetime64[ns]"),
        *(inbound[f"delay_{q}"].to_numpy(float) for q in ("p10", "p50", "p90")),
        confidence,
        AS_OF,
    )
    pos = inbound.assign(eta=eta).sort_values("eta", kind="stable")
    taken: dict[tuple[str, str], float] = {}
    rows = []
    for line in lines.itertuples():
        key = (line.sku_id, line.location_id)
        at = stock[(stock["sku_id"] == key[0]) & (stock["location_id"] == key[1])]
        free = float((at["on_hand"] - at["allocated"]).clip(lower=0).sum())
        events = [(AS_OF, free, None)] + [
            (p.eta, p.quantity, p.po_id)
            for p in pos.itertuples()
            if (p.sku_id, p.location_id) == key
        ]
        before = taken.get(key, 0.0)
        need = taken[key] = before + line.quantity
        running, date, po = 0.0, pd.NaT, None
        for when, units, po_id in events:
            running += units
            if running >= need:
                date, po = when, po_id
                break
        late = (date - line.requested_date).days if pd.notna(date) else np.nan
        rows.append(
            {
                "quantity_from_stock": min(max(free - before, 0.0), line.quantity),
                "promise_date": date,
                "covering_po_id": po,
                "uncovered_quantity": min(max(need - running, 0.0), line.quantity),
                "on_time": bool(pd.notna(date) and date <= line.requested_date),
                "days_late": max(late, 0) if pd.notna(date) else np.nan,
            }
        )
    return pd.DataFrame(rows, index=lines.index)


@pytest.mark.parametrize("seed", range(8))
def test_promise_lines_follow_the_rule_line_by_line(seed: int):
    lines, stock, inbound = _random_case(seed)
    expected = _walk_the_supply(lines, stock, inbound, confidence=0.9)
    got = pd.DataFrame(
        promise_lines(lines, SupplyRows.from_frames(stock, inbound), AS_OF, 0.9), index=lines.index
    )
    for col in expected.columns:
        pd.testing.assert_series_equal(
            got[col], expected[col], check_dtype=False, check_names=False, obj=col
        )


@pytest.mark.parametrize("seed", range(4))
def test_planning_form_gives_the_array_answers_in_input_order(seed: int):
    lines, stock, inbound = _random_case(seed)
    shuffled = lines.sample(frac=1.0, random_state=seed)  # SKU-locations interleaved, index kept
    planned = promise_dates(shuffled, stock, inbound, as_of=AS_OF, confidence=0.9, handling_days=2)
    arrays = promise_lines(shuffled, SupplyRows.from_frames(stock, inbound), AS_OF, 0.9, handling_days=2)
    assert planned.index.equals(shuffled.index)
    for col, values in arrays.items():
        pd.testing.assert_series_equal(
            planned[col], pd.Series(values, index=shuffled.index), check_dtype=False, check_names=False, obj=col
        )
    covered = planned[planned["available_date"].notna()]
    assert (covered["promise_date"] - covered["available_date"]).eq(pd.Timedelta(days=2)).all()


def test_a_line_covered_exactly_takes_the_event_that_completes_it():
    stock = pd.DataFrame({"sku_id": ["A"], "location_id": ["DC1"], "on_hand": [7.0], "allocated": [2.0]})
    inbound = pd.DataFrame(
        {
            "po_id": ["P2", "P1"],
            "sku_id": "A",
            "location_id": "DC1",
            "quantity": [5.0, 5.0],
            "promised_date": pd.to_datetime(["2026-03-09", "2026-03-05"]),
            "delay_p10": 0.0,
            "delay_p50": 0.0,
            "delay_p90": 0.0,
        }
    )
    lines = pd.DataFrame(
        {
            "sku_id": "A",
            "location_id": "DC1",
            "quantity": [5.0, 5.0, 3.0, 4.0],
            "requested_date": pd.Timestamp("2026-03-06"),
        }
    )
    got = promise_lines(lines, SupplyRows.from_frames(stock, inbound), AS_OF, 0.9)
    promised = pd.Series(got["promise_date"])
    assert promised[:3].tolist() == [AS_OF, pd.Timestamp("2026-03-05"), pd.Timestamp("2026-03-09")]
    assert pd.isna(promised[3])
    assert got["covering_po_id"].tolist() == [None, "P1", "P2", None]
    assert got["quantity_from_stock"].tolist() == [5.0, 0.0, 0.0, 0.0]
    assert got["uncovered_quantity"].tolist() == [0.0, 0.0, 0.0, 2.0]
    assert got["on_time"].tolist() == [True, True, False, False]
    assert got["days_late"][:3].tolist() == [0.0, 0.0, 3.0]
