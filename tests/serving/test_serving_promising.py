"""The request-path promise dates agree with ``decisions.promise_dates`` line for line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from decisions import promise_dates
from serving.promising import promise_lines
from serving.supply import FrameSupply

AS_OF = pd.Timestamp("2026-03-02")


@pytest.mark.parametrize("seed", range(8))
def test_promise_lines_match_the_decision_engine(seed: int):
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
    lines.index = lines.index + 100  # index is kept
    expected = promise_dates(lines, stock, inbound, as_of=AS_OF, confidence=0.9)
    supply = FrameSupply(stock, inbound).supply(lines["sku_id"].unique())
    got = pd.DataFrame(promise_lines(lines, supply, AS_OF, 0.9), index=lines.index)
    for col in ("quantity_from_stock", "promise_date", "covering_po_id", "on_time", "days_late"):
        pd.testing.assert_series_equal(
            got[col], expected[col], check_dtype=False, check_names=False, obj=col
        )
