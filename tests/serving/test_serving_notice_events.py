"""The customer notice of an order confirmed through events (never scored, or changed since its
scoring): its lines as the live state holds them, scored now, on SQLite and on Redis."""

from __future__ import annotations

import pandas as pd
import pytest
from serving_helpers import auth

from tests.live.conftest import open_store

AT = "2026-03-02T08:00:00Z"
OMS = auth("oms-key")


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def live(request, tmp_path):
    """The live state of ``live_runtime`` (tests/serving/conftest.py) in each store."""
    prefix = request.getfixturevalue("redis_prefix") if request.param == "redis" else None
    store = open_store(request.param, tmp_path, prefix)
    yield store
    store.close()


def _events(client, *events: dict) -> None:
    answer = client.post("/v1/events", json={"events": list(events)}, headers=OMS).json()
    assert answer["rejected"] == [] and answer["accepted"] == len(events), answer


def _count(sku: str, on_hand: int) -> dict:
    return {
        "event_id": f"count-{sku}",
        "type": "stock_counted",
        "occurred_at": AT,
        "sku_id": sku,
        "location_id": "DC1",
        "on_hand": on_hand,
    }


def _line_event(
    kind: str, order_id: str, line_id: str, sku: str, quantity: int, at: str = "2026-03-02T09:00:00Z", **fields
) -> dict:
    return {
        "event_id": f"{kind}-{order_id}-{line_id}-{at}",
        "type": kind,
        "occurred_at": at,
        "order_id": order_id,
        "line_id": line_id,
        "sku_id": sku,
        "location_id": "DC1",
        "quantity": quantity,
        **fields,
    }


def _confirmed(
    order_id: str, line_id: str, sku: str, quantity: int, requested: str | None, at: str = "2026-03-02T09:00:00Z"
) -> dict:
    return _line_event("order_confirmed", order_id, line_id, sku, quantity, at, requested_date=requested)


def _order(order_id: str, lines: list[tuple[str, str, int, str]]) -> dict:
    return {
        "order_id": order_id,
        "customer_id": "C1",
        "customer_tier": "silver",
        "reserve": False,
        "lines": [
            {"line_id": line, "sku_id": sku, "location_id": "DC1", "quantity": quantity, "requested_date": requested}
            for line, sku, quantity, requested in lines
        ],
    }


def test_an_order_confirmed_through_events_gets_its_notice_scored_now(live_client, live_runtime):
    live_runtime.components.substitutes = pd.DataFrame(
        {"sku_id": ["SKU001", "SKU001"], "substitute_sku_id": ["SKU002", "SKU003"], "priority": [1, 2]}
    )
    # SKU001 at DC1: 15 on hand, then its only PO (40 units, promised 2026-03-20); SKU003 has none
    _events(live_client, _count("SKU000", 50), _count("SKU001", 15), _count("SKU002", 30), _count("SKU003", 0))
    lines = [("L1", "SKU001", 20, "2026-03-05"), ("L2", "SKU000", 4, "2026-03-10")]
    # the same lines scored by another order before the confirmation took the stock
    same = live_client.post("/v1/score", json=_order("S1", lines), headers=OMS).json()["lines"]
    _events(live_client, *(_confirmed("E1", *line) for line in lines))
    # the confirmation holds all it asks for, more than is on hand
    held = live_client.get("/v1/stock/SKU001/DC1", headers=OMS).json()
    assert (held["reserved"], held["available"]) == (20, 0)

    answer = live_client.get("/v1/orders/E1/notice", headers=OMS)
    assert answer.status_code == 200, answer.text
    notice = answer.json()
    late, on_time = notice["lines"]
    # 15 units ship now, 5 wait for PO1: promised 2026-03-20, 3 days late at the 0.9 confidence
    assert late["promise_date"] == same[0]["promise_date"] == "2026-03-23"
    assert on_time["promise_date"] == same[1]["promise_date"] == "2026-03-02"
    assert (late["delay_days"], on_time["delay_days"]) == (18, 0)
    assert (notice["source"], notice["status"], notice["promise_date"], notice["delay_days"]) == (
        "live_state",
        "delayed",
        "2026-03-23",
        18,
    )
    assert notice["requested_date"] == "2026-03-05" and notice["confidence"] == 0.9
    assert 0.0 <= late["backorder_probability"] <= 1.0 and not late["shipped"]
    assert late["substitutes"] == [{"sku_id": "SKU002", "priority": 1, "available": 30, "covers_line": True}]
    assert on_time["substitutes"] == []
    assert notice["message"] == (
        "Order E1 is expected to ship complete on 2026-03-23: SKU001 arrives 18 days after the requested "
        "2026-03-05. We apologise for the delay. Instead of SKU001 we can ship now: SKU002 (30 available, "
        "enough for the whole line)."
    )


def test_a_scored_order_changed_through_events_follows_the_live_state(live_client, live_runtime):
    _events(live_client, _count("SKU000", 50), _count("SKU001", 15))
    scored = live_client.post("/v1/score", json=_order("E1", [("L1", "SKU001", 10, "2026-03-05")]), headers=OMS)
    assert scored.json()["lines"][0]["promise_date"] == "2026-03-02"  # 10 of the 15 on hand
    before = live_client.get("/v1/orders/E1/notice", headers=OMS).json()
    assert (before["source"], before["status"]) == ("last_scoring", "on_time")
    # what the same order, grown to 20 units, scores as now (before its confirmation holds them)
    grown = live_client.post("/v1/score", json=_order("E2", [("L1", "SKU001", 20, "2026-03-05")]), headers=OMS).json()[
        "lines"
    ][0]
    _events(live_client, _confirmed("E1", "L1", "SKU001", 20, "2026-03-05"))

    notice = live_client.get("/v1/orders/E1/notice", headers=OMS).json()
    line = notice["lines"][0]
    assert (notice["source"], notice["status"], line["promise_date"]) == ("live_state", "delayed", "2026-03-23")
    # the same scorer and the order's tier from its scoring: the risk of the same order scored now
    assert line["backorder_probability"] == pytest.approx(grown["backorder_probability"])
    assert line["promise_date"] == grown["promise_date"]


def test_shipped_lines_are_not_late_and_cancelled_orders_are_gone(live_client):
    _events(
        live_client,
        _count("SKU000", 50),
        _count("SKU001", 15),
        _confirmed("E1", "L1", "SKU001", 5, "2026-02-20"),
        _confirmed("E1", "L2", "SKU001", 20, "2026-03-05"),
    )
    _events(live_client, _line_event("order_shipped", "E1", "L1", "SKU001", 5, "2026-03-02T10:00:00Z"))

    notice = live_client.get("/v1/orders/E1/notice", headers=OMS).json()
    shipped, late = notice["lines"]
    # shipped ten days after its requested date, yet nothing is late any more: it no longer counts
    assert (shipped["shipped"], shipped["promise_date"], shipped["delay_days"]) == (True, "2026-03-02", 0)
    assert shipped["backorder_probability"] == 0.0 and shipped["substitutes"] == []
    assert (notice["status"], notice["requested_date"], late["promise_date"]) == ("delayed", "2026-03-05", "2026-03-23")
    assert "1 of its 2 lines has shipped already." in notice["message"]

    _events(live_client, _line_event("order_shipped", "E1", "L2", "SKU001", 20, "2026-03-03T10:00:00Z"))
    done = live_client.get("/v1/orders/E1/notice", headers=OMS).json()
    assert (done["status"], done["promise_date"], done["delay_days"]) == ("shipped", "2026-03-03", 0)
    assert done["message"] == "Order E1 has shipped complete; its last line shipped on 2026-03-03."

    _events(
        live_client,
        _confirmed("E2", "L1", "SKU000", 3, None),
        _line_event("order_cancelled", "E2", "L1", "SKU000", 3, "2026-03-02T11:00:00Z"),
    )
    gone = live_client.get("/v1/orders/E2/notice", headers=OMS)
    assert gone.status_code == 404
    assert gone.json()["detail"] == [{"field": "order_id", "problem": "every line of order 'E2' was cancelled"}]
    unknown = live_client.get("/v1/orders/NEVER/notice", headers=OMS)
    assert unknown.status_code == 404 and unknown.json() == {
        "error": "unknown order",
        "detail": [
            {"field": "order_id", "problem": "no order 'NEVER': the service never scored it and no event confirmed it"}
        ],
    }


def test_an_online_store_that_does_not_answer_is_a_503(live_client, live_runtime, monkeypatch):
    _events(live_client, _confirmed("E1", "L1", "SKU001", 2, "2026-03-05"))

    def down(entity_rows):
        raise ConnectionError("store down")

    monkeypatch.setattr(live_runtime.scorer.reader.reader, "read_values", down)
    answer = live_client.get("/v1/orders/E1/notice", headers=OMS)
    assert answer.status_code == 503 and answer.json()["error"] == "feature store unavailable"
    assert answer.headers["Retry-After"] == "5"


def test_a_line_confirmed_without_a_requested_date_has_a_promise_but_no_delay(live_client):
    _events(live_client, _count("SKU000", 50), _confirmed("E1", "L1", "SKU000", 5, None))
    notice = live_client.get("/v1/orders/E1/notice", headers=OMS).json()
    assert (notice["status"], notice["promise_date"], notice["lines"][0]["delay_days"]) == (
        "on_time",
        "2026-03-02",
        None,
    )
    assert notice["message"] == "Order E1 is expected to ship complete on 2026-03-02."
