"""The planner workbench routes: webhook subscriptions and the exceptions' life cycle."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from serving_helpers import auth, order

from alerts.detection import order_lines_at_risk

PLANNER = auth("planner-key")
SECRET = "0123456789abcdef0123"


def _seed(runtime) -> list[dict]:
    scored = pd.DataFrame({
        "order_id": ["O1", "O2"], "line_id": "1", "sku_id": ["SKU000", "SKU001"], "location_id": ["DC1", "DC2"],
        "quantity": [10, 400], "backorder_probability": [0.6, 0.95],
    })
    return runtime.alerts.record(order_lines_at_risk(scored, runtime.alerts.cfg), datetime(2026, 3, 2)).opened


def test_webhooks_are_added_listed_and_deleted_without_their_secret(client):
    made = client.post("/v1/webhooks", json={"url": "https://example.com/hook", "secret": SECRET,
                                             "kinds": ["po_late"], "min_severity": "warning"}, headers=PLANNER)
    assert made.status_code == 201, made.text
    assert "secret" not in made.json() and made.json()["kinds"] == ["po_late"]
    listed = client.get("/v1/webhooks", headers=PLANNER).json()["webhooks"]
    assert [w["id"] for w in listed] == [made.json()["id"]] and "secret" not in listed[0]
    assert client.delete(f"/v1/webhooks/{made.json()['id']}", headers=PLANNER).status_code == 204
    assert client.delete(f"/v1/webhooks/{made.json()['id']}", headers=PLANNER).status_code == 404


def test_bad_subscriptions_are_422_naming_the_field(client):
    short = client.post("/v1/webhooks", json={"url": "https://example.com/h", "secret": "x"}, headers=PLANNER)
    assert short.status_code == 422 and short.json()["detail"][0]["field"] == "secret"
    scheme = client.post("/v1/webhooks", json={"url": "file:///etc/passwd", "secret": SECRET}, headers=PLANNER)
    assert scheme.status_code == 422 and scheme.json()["detail"][0]["field"] == "url"
    kind = client.post("/v1/webhooks", json={"url": "https://e.com", "secret": SECRET, "kinds": ["x"]},
                       headers=PLANNER)
    assert kind.status_code == 422 and kind.json()["detail"][0]["field"].startswith("kinds")


def test_exceptions_are_filtered_acknowledged_and_resolved_by_the_calling_key(client, runtime):
    opened = _seed(runtime)
    every = client.get("/v1/exceptions", headers=PLANNER).json()["exceptions"]
    assert [e["order_id"] for e in every] == ["O2", "O1"]  # highest expected cost first
    critical = client.get("/v1/exceptions?status=open&severity=critical&location=DC2", headers=PLANNER).json()
    assert [e["order_id"] for e in critical["exceptions"]] == ["O2"]
    o1 = next(e["id"] for e in opened if e["order_id"] == "O1")
    acked = client.post(f"/v1/exceptions/{o1}/acknowledge", json={"comment": "on it"}, headers=PLANNER)
    assert acked.status_code == 200, acked.text
    assert acked.json()["status"] == "acknowledged" and acked.json()["acknowledged_by"].startswith("key:")
    resolved = client.post(f"/v1/exceptions/{o1}/resolve", json={"comment": "moved stock"}, headers=PLANNER)
    assert resolved.json()["status"] == "resolved" and resolved.json()["comment"] == "moved stock"
    again = client.post(f"/v1/exceptions/{o1}/acknowledge", json={}, headers=PLANNER)
    assert again.status_code == 409 and again.json()["error"] == "invalid transition"
    assert client.post(f"/v1/exceptions/{'0' * 32}/resolve", json={}, headers=PLANNER).status_code == 404
    assert [e["order_id"] for e in client.get("/v1/exceptions?status=open", headers=PLANNER).json()["exceptions"]] \
        == ["O2"]


def test_a_life_cycle_move_queues_a_delivery_and_does_not_send_it_in_the_request(client, runtime):
    client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "secret": SECRET}, headers=PLANNER)
    opened = _seed(runtime)
    client.post(f"/v1/exceptions/{opened[0]['id']}/resolve", json={}, headers=PLANNER)
    pending = runtime.alerts.subscriptions.deliveries("pending")
    assert [d["event_type"] for d in pending].count("exception.resolved") == 1
    assert all(d["attempts"] == 0 for d in pending)


def test_workbench_routes_need_the_planner_role_and_valid_filters(client):
    assert client.get("/v1/exceptions", headers=auth("oms-key")).status_code == 403
    assert client.get("/v1/webhooks").status_code == 401
    bad = client.get("/v1/exceptions?kind=everything", headers=PLANNER)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "query.kind"
    unknown = client.get("/v1/exceptions?colour=red", headers=PLANNER)
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "query.colour"


def test_webhooks_admit_the_planner_or_the_admin_role(client):
    body = {"url": "https://example.com/hook", "secret": SECRET}
    assert client.post("/v1/webhooks", json=body, headers=auth("admin-key")).status_code == 201
    refused = client.post("/v1/webhooks", json=body, headers=auth("oms-key"))
    assert refused.status_code == 403 and "'planner' or 'admin'" in refused.json()["error"]
    assert client.get("/v1/exceptions", headers=auth("admin-key")).status_code == 403


def _line(line_id: str, sku_id: str, quantity: int, requested: str) -> dict:
    return {"line_id": line_id, "sku_id": sku_id, "location_id": "DC1", "quantity": quantity,
            "requested_date": requested}


def test_the_notice_of_a_scored_order_states_its_promise_and_delay(client):
    # SKU001 at DC1: 400 units wait for PO2 (promised 2026-03-05, delay p90 3 days)
    lines = [_line("L0", "SKU000", 5, "2026-03-10"), _line("L1", "SKU001", 400, "2026-03-03")]
    scored = client.post("/v1/score", json=order(lines=lines), headers=auth("oms-key"))
    assert scored.status_code == 200, scored.text
    promise = scored.json()["lines"][1]["promise_date"]
    assert promise == "2026-03-08"
    notice = client.get("/v1/orders/O1/notice", headers=auth("oms-key")).json()
    assert (notice["status"], notice["promise_date"], notice["delay_days"]) == ("delayed", promise, 5)
    assert [line["delay_days"] for line in notice["lines"]] == [0, 5]
    assert notice["requested_date"] == "2026-03-03" and notice["confidence"] == 0.9
    assert "2026-03-08: SKU001 arrives 5 days after the requested 2026-03-03" in notice["message"]


def test_a_rescored_order_s_notice_follows_its_latest_scoring_and_unknown_orders_are_404(client):
    client.post("/v1/score", json=order(lines=[_line("L1", "SKU001", 400, "2026-03-03")]), headers=auth("oms-key"))
    client.post("/v1/score", json=order(lines=[_line("L1", "SKU001", 1, "2026-03-10")]), headers=auth("oms-key"))
    notice = client.get("/v1/orders/O1/notice", headers=auth("oms-key")).json()
    assert notice["status"] == "on_time" and notice["delay_days"] == 0
    assert client.get("/v1/orders/NEVER/notice", headers=auth("oms-key")).status_code == 404
    assert client.get("/v1/orders/O1/notice", headers=PLANNER).status_code == 403
