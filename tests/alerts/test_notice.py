"""Customer notices from an order's scored lines."""

from __future__ import annotations

from datetime import date

import pandas as pd

from alerts.notice import customer_notice


def _lines(promises: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame({
        "line_id": [str(i) for i in range(len(promises))], "sku_id": [f"SKU-{i}" for i in range(len(promises))],
        "requested_date": "2026-03-10", "promise_date": promises, "backorder_probability": 0.2,
    })


def test_the_order_ships_complete_on_its_latest_promise():
    notice = customer_notice("O1", _lines(["2026-03-08", "2026-03-14"]), 0.9)
    assert notice.status == "delayed" and notice.promise_date == date(2026, 3, 14) and notice.delay_days == 4
    assert [line.delay_days for line in notice.lines] == [0, 4]
    assert "2026-03-14: SKU-1 arrives 4 days after the requested 2026-03-10" in notice.message


def test_an_order_on_time_says_so():
    notice = customer_notice("O1", _lines(["2026-03-09", "2026-03-10"]), 0.9)
    assert notice.status == "on_time" and notice.delay_days == 0 and "as requested" in notice.message


def test_a_line_without_a_promise_leaves_the_order_unconfirmed():
    notice = customer_notice("O1", _lines(["2026-03-09", None]), 0.9)
    assert notice.status == "unconfirmed" and notice.promise_date is None
    assert "SKU-1" in notice.message
