"""The customer notice offers substitutes with the stock the live state holds now."""

from __future__ import annotations

import pandas as pd
from serving_helpers import auth

AT = "2026-03-02T08:00:00Z"


def _count(event_id: str, sku: str, on_hand: int) -> dict:
    return {"event_id": event_id, "type": "stock_counted", "occurred_at": AT, "sku_id": sku, "location_id": "DC1",
            "on_hand": on_hand}


def _order(order_id: str, lines: list[tuple[str, str, int, str]], reserve: bool) -> dict:
    return {"order_id": order_id, "customer_id": "C1", "customer_tier": "gold", "reserve": reserve,
            "lines": [{"line_id": line, "sku_id": sku, "location_id": "DC1", "quantity": quantity,
                       "requested_date": requested} for line, sku, quantity, requested in lines]}


def test_a_late_line_s_notice_offers_substitutes_available_now_by_priority(live_client, live_runtime):
    live_runtime.components.substitutes = pd.DataFrame({
        "sku_id": ["SKU001", "SKU001", "SKU001", "SKU000"],
        "substitute_sku_id": ["SKU002", "SKU003", "SKU004", "SKU002"],
        "priority": [2, 1, 3, 1],
    })
    counts = [_count("c0", "SKU000", 50), _count("c2", "SKU002", 30), _count("c3", "SKU003", 8),
              _count("c4", "SKU004", 0)]
    assert live_client.post("/v1/events", json={"events": counts}, headers=auth("erp-key")).status_code == 200
    # another order reserves 3 of SKU003: 5 stay available
    held = live_client.post("/v1/score", json=_order("O9", [("1", "SKU003", 3, "2026-03-05")], True),
                            headers=auth("oms-key"))
    assert held.json()["lines"][0]["reserved_quantity"] == 3.0
    # SKU001 has no stock at DC1; its only PO (40 units) is promised for 2026-03-20
    lines = [("L0", "SKU000", 1, "2026-03-10"), ("L1", "SKU001", 20, "2026-03-03")]
    scored = live_client.post("/v1/score", json=_order("O1", lines, False), headers=auth("oms-key"))
    assert scored.status_code == 200, scored.text
    notice = live_client.get("/v1/orders/O1/notice", headers=auth("oms-key")).json()
    on_time, late = notice["lines"]
    assert on_time["delay_days"] == 0 and on_time["substitutes"] == []
    assert late["delay_days"] > 0
    assert late["substitutes"] == [
        {"sku_id": "SKU003", "priority": 1, "available": 5, "covers_line": False},
        {"sku_id": "SKU002", "priority": 2, "available": 30, "covers_line": True},
    ]
    assert "Instead of SKU001 we can ship now: SKU003 (5 available), SKU002 (30 available, enough for the whole " \
        "line)." in notice["message"]


def test_without_substitutes_the_notice_offers_none(live_client):
    lines = [("L1", "SKU001", 20, "2026-03-03")]
    assert live_client.post("/v1/score", json=_order("O1", lines, False), headers=auth("oms-key")).status_code == 200
    notice = live_client.get("/v1/orders/O1/notice", headers=auth("oms-key")).json()
    assert notice["lines"][0]["delay_days"] > 0 and notice["lines"][0]["substitutes"] == []


def test_without_a_live_state_the_offers_use_the_start_up_stock(client, runtime, stock):
    runtime.components.substitutes = pd.DataFrame({"sku_id": ["SKU001"], "substitute_sku_id": ["SKU002"],
                                                   "priority": [1]})
    # SKU001 at DC1: 400 units wait for PO2, the line is late
    lines = [("L1", "SKU001", 400, "2026-03-03")]
    assert client.post("/v1/score", json=_order("O1", lines, False), headers=auth("oms-key")).status_code == 200
    row = stock[(stock["sku_id"] == "SKU002") & (stock["location_id"] == "DC1")].iloc[0]
    free = int(row["on_hand"] - row["allocated"])
    assert free >= 1
    notice = client.get("/v1/orders/O1/notice", headers=auth("oms-key")).json()
    assert notice["lines"][0]["substitutes"] == [{"sku_id": "SKU002", "priority": 1, "available": free,
                                                  "covers_line": False}]
