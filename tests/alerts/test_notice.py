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


def _offers(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["line_id", "substitute_sku_id", "priority", "available"])


def test_late_and_at_risk_lines_list_their_substitutes_by_priority_and_say_if_they_cover_the_line():
    lines = _lines(["2026-03-08", "2026-03-14", "2026-03-09"]).assign(
        quantity=[5, 20, 3], backorder_probability=[0.1, 0.2, 0.7])
    offers = _offers([("1", "SUB-B", 2, 30), ("1", "SUB-A", 1, 4), ("0", "SUB-C", 1, 9), ("2", "SUB-D", 1, 3)])
    notice = customer_notice("O1", lines, 0.9, offers, at_risk=0.5)
    on_time, late, at_risk = notice.lines
    assert on_time.substitutes == []  # on time and below the risk threshold: nothing offered
    assert [(o.sku_id, o.available, o.covers_line) for o in late.substitutes] == [("SUB-A", 4, False),
                                                                                  ("SUB-B", 30, True)]
    assert [(o.sku_id, o.covers_line) for o in at_risk.substitutes] == [("SUB-D", True)]
    assert "Instead of SKU-1 we can ship now: SUB-A (4 available), SUB-B (30 available, enough for the whole line)." \
        in notice.message
    assert "SUB-C" not in notice.message


def test_an_unconfirmed_line_lists_its_substitutes_and_without_offers_none_are_listed():
    lines = _lines(["2026-03-09", None]).assign(quantity=[1, 2])
    notice = customer_notice("O1", lines, 0.9, _offers([("1", "SUB-A", 1, 2)]))
    assert notice.status == "unconfirmed" and [o.sku_id for o in notice.lines[1].substitutes] == ["SUB-A"]
    assert "SUB-A (2 available, enough for the whole line)" in notice.message
    assert all(line.substitutes == [] for line in customer_notice("O1", lines, 0.9).lines)


def test_a_shipped_line_is_not_late_and_an_order_whose_lines_all_shipped_has_shipped():
    lines = _lines(["2026-03-12", None, "2026-03-14"]).assign(shipped_date=[None, "2026-03-11", None])
    notice = customer_notice("O1", lines.assign(quantity=[1, 1, 1]), 0.9, _offers([("1", "SUB-A", 1, 5)]))
    _, shipped, _ = notice.lines
    # shipped a day after its requested date, and without a promise: neither late nor unconfirmed now
    assert (shipped.shipped, shipped.promise_date, shipped.delay_days, shipped.substitutes) == (
        True, date(2026, 3, 11), 0, [])
    assert (notice.status, notice.promise_date, notice.delay_days) == ("delayed", date(2026, 3, 14), 4)
    assert "1 of its 3 lines has shipped already." in notice.message and "SUB-A" not in notice.message
    done = customer_notice("O1", lines.assign(shipped_date=["2026-03-09", "2026-03-11", "2026-03-10"]), 0.9)
    assert (done.status, done.promise_date, done.delay_days) == ("shipped", date(2026, 3, 11), 0)
    assert all(line.shipped for line in done.lines)
