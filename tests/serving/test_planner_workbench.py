"""The planner workbench pages in-process: login cookie, inbox filters, decisions and their audit,
accepted moves reaching the live state, CSRF and escaping."""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd
import pytest
from planner_world import PO_SKU, SHORT_SKU, csrf_of, record_exceptions, seeded_live_state, write_recent_orders
from serving_helpers import auth

from alerts.decisions import DecisionLog
from alerts.detection import order_lines_at_risk

PLANNER_KEY = "planner-key"


@pytest.fixture
def live(client, tmp_path):
    from serving.service import app

    state = seeded_live_state(tmp_path)
    app.state.planner_live = state
    client.cookies.clear()
    yield state
    client.cookies.clear()
    app.state.planner_live = app.state.planner_demand = None
    state.close()


@pytest.fixture
def world(runtime, live) -> dict[str, dict]:
    return record_exceptions(runtime, live)


def _login(client) -> None:
    done = client.post("/planner/login", data={"key": PLANNER_KEY}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/planner"


def _decide(client, exception_id: str, decision: str, comment: str = "", **extra):
    page = client.get(f"/planner/exceptions/{exception_id}")
    assert page.status_code == 200, page.text
    form = {"decision": decision, "comment": comment, "csrf": csrf_of(page.text), **extra}
    return client.post(f"/planner/exceptions/{exception_id}/decide", data=form, follow_redirects=False)


def test_login_sets_a_strict_httponly_cookie_and_a_bad_key_stays_out(client, live):
    assert client.get("/planner", follow_redirects=False).headers["location"] == "/planner/login"
    wrong = client.post("/planner/login", data={"key": "nope"}, follow_redirects=False)
    assert wrong.status_code == 401 and "invalid API key" in wrong.text
    oms = client.post("/planner/login", data={"key": "oms-key"}, follow_redirects=False)
    assert oms.status_code == 403
    done = client.post("/planner/login", data={"key": PLANNER_KEY}, follow_redirects=False)
    cookie = done.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/planner" in cookie
    assert client.get("/planner").status_code == 200
    assert client.get("/planner", headers=auth("oms-key")).status_code == 403  # the header wins


def test_inbox_lists_open_exceptions_with_filters(client, live, world):
    _login(client)
    page = client.get("/planner").text
    assert world["stockout_within_lead_time"]["id"] in page and world["po_late"]["id"] in page
    by_kind = client.get("/planner?kind=po_late").text
    assert world["po_late"]["id"] in by_kind and world["stockout_within_lead_time"]["id"] not in by_kind
    by_supplier = client.get("/planner?supplier=S1").text
    assert world["po_late"]["id"] in by_supplier and world["stockout_within_lead_time"]["id"] not in by_supplier
    assert "Nothing to do." in client.get("/planner?location=DC9").text
    assert client.get("/planner?kind=everything").status_code == 422


def test_the_detail_shows_reasons_the_move_and_the_figures(client, live, world):
    _login(client)
    page = client.get(f"/planner/exceptions/{world['stockout_within_lead_time']['id']}").text
    assert "projected_stockout" in page and "falls short of the projected demand" in page
    assert f"transfer 48 units of {SHORT_SKU} from DC2 to DC1" in page
    assert 'id="live">2 / 0 / 0<' in page
    late = client.get(f"/planner/exceptions/{world['po_late']['id']}").text
    assert "expedite PO PO-1: promised for 2026-03-04 instead of an expected 2026-03-20" in late


def test_the_stockout_detail_plots_the_orders_the_forecast_and_the_open_pos(client, runtime, live, world,
                                                                            service_settings):
    write_recent_orders(service_settings.canonical_dir)
    _login(client)
    page = client.get(f"/planner/exceptions/{world['stockout_within_lead_time']['id']}").text
    svg = re.search(r'<svg class="plot" id="forecast-plot".*?</svg>', page, re.S).group(0)
    actual = dict(re.findall(r'class="actual" data-ds="([0-9-]+)" data-value="([0-9.]+)"', svg))
    assert len(actual) == 28 and actual["2026-02-20"] == "14.0" and actual["2026-03-01"] == "14.0"
    assert actual["2026-02-21"] == "0.0"
    # no forecast of this series in the service's forecaster: the recent daily mean (28 / 28 days) over the lead time
    median = re.findall(r'class="p50-point" data-ds="([0-9-]+)" data-value="([0-9.]+)"', svg)
    assert median == [(f"2026-03-0{d}", "1.0") for d in range(3, 8)]
    assert '<polygon class="band"' in svg
    late = client.get(f"/planner/exceptions/{world['po_late']['id']}").text
    assert 'data-po="PO-1" data-promised="2026-03-10"' in late and 'data-expected="2026-03-20"' in late
    assert 'id="forecast-plot"' in late and 'id="eta-plot"' not in page  # no open PO at the short DC


def test_accepting_a_transfer_moves_live_stock_and_writes_the_audit_row(client, runtime, live, world):
    _login(client)
    stockout = world["stockout_within_lead_time"]
    done = _decide(client, stockout["id"], "accept", "moving from DC2")
    assert done.status_code == 303 and done.headers["location"] == "/planner?decided=accept"
    dc1, dc2 = live.position(SHORT_SKU, "DC1"), live.position(SHORT_SKU, "DC2")
    assert (dc1.in_transit, dc2.on_hand) == (48, 2)
    [row] = DecisionLog(runtime.alerts.store.engine).of(stockout["id"])
    assert row["decision"] == "accept" and row["action_kind"] == "transfer" and row["who"].startswith("key:")
    assert row["comment"] == "moving from DC2" and row["model_versions"] == {"backorder_risk": "3"}
    assert row["events"][0]["type"] == "transfer_shipped"
    assert runtime.alerts.store.get(stockout["id"])["status"] == "resolved"
    again = client.post(f"/planner/exceptions/{stockout['id']}/decide",
                        data={"decision": "accept", "csrf": csrf_of(client.get("/planner").text)})
    assert again.status_code == 409 and live.position(SHORT_SKU, "DC2").on_hand == 2


def test_an_accepted_expedite_by_bearer_key_changes_the_promised_date(client, runtime, live, world):
    late = world["po_late"]
    done = client.post(f"/planner/exceptions/{late['id']}/decide", data={"decision": "accept"},
                       headers=auth(PLANNER_KEY))
    assert done.status_code == 200 and done.json()["decision"] == "accept"
    [po] = live.open_purchase_orders([PO_SKU]).to_dict("records")
    assert po["promised_date"] == pd.Timestamp("2026-03-04")


def test_reject_and_snooze_leave_the_inbox_with_an_audit_row(client, runtime, live, world):
    _login(client)
    stockout, late = world["stockout_within_lead_time"], world["po_late"]
    assert _decide(client, stockout["id"], "reject", "DC2 stock is promised").status_code == 303
    assert _decide(client, late["id"], "snooze", snooze_hours="4").status_code == 303
    inbox = client.get("/planner").text
    assert stockout["id"] not in inbox and late["id"] not in inbox
    log = DecisionLog(runtime.alerts.store.engine)
    assert [d["decision"] for d in log.of(stockout["id"])] == ["reject"]
    [snooze] = log.of(late["id"])
    assert snooze["snoozed_until"] is not None and runtime.alerts.store.get(late["id"])["status"] == "acknowledged"
    assert live.position(SHORT_SKU, "DC2").on_hand == 50  # a rejected transfer moves nothing


def test_a_cookie_form_without_the_token_or_from_another_site_is_refused(client, runtime, live, world):
    _login(client)
    stockout = world["stockout_within_lead_time"]
    url = f"/planner/exceptions/{stockout['id']}/decide"
    assert client.post(url, data={"decision": "accept"}).status_code == 403
    token = csrf_of(client.get(url.removesuffix("/decide")).text)
    foreign = client.post(url, data={"decision": "accept", "csrf": token}, headers={"Origin": "https://evil.test"})
    assert foreign.status_code == 403
    assert live.position(SHORT_SKU, "DC2").on_hand == 50 and DecisionLog(runtime.alerts.store.engine).of(
        stockout["id"]) == []


def test_every_value_on_the_pages_is_escaped(client, runtime, live):
    scored = pd.DataFrame({"order_id": ["<script>alert(1)</script>"], "line_id": "1", "sku_id": "SKU000",
                           "location_id": "DC1", "quantity": 10, "backorder_probability": 0.9})
    [opened] = runtime.alerts.record(order_lines_at_risk(scored, runtime.alerts.cfg), datetime(2026, 3, 2)).opened
    _login(client)
    for page in (client.get("/planner").text, client.get(f"/planner/exceptions/{opened['id']}").text):
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_move_the_live_state_refuses_is_a_409_and_nothing_is_recorded(client, runtime, live, world):
    late = world["po_late"]
    live.apply([{"event_id": "x1", "type": "po_cancelled", "occurred_at": "2026-03-02T07:00:00", "po_id": "PO-1"}])
    refused = client.post(f"/planner/exceptions/{late['id']}/decide", data={"decision": "accept"},
                          headers=auth(PLANNER_KEY))
    assert refused.status_code == 409 and 'id="error"' in refused.text
    assert DecisionLog(runtime.alerts.store.engine).of(late["id"]) == []
    assert runtime.alerts.store.get(late["id"])["status"] == "open"


def test_without_the_alert_database_the_workbench_says_so(client, runtime, live):
    runtime.alerts = None
    page = client.get("/planner", headers=auth(PLANNER_KEY))
    assert page.status_code == 503 and "alert database is not open" in page.text
