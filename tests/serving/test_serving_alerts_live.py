"""Alerts in real time: an event that empties a SKU-location's stock reaches a webhook receiver,
signed, within seconds, and shows in ``GET /v1/exceptions`` and the planner inbox; counting the
stock back up resolves it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from serving_helpers import KEYS, TODAY, auth

from alerts.webhooks import verify_signature
from settings import Settings, load_settings

RECEIVER = Path(__file__).resolve().parents[1] / "support" / "webhook_receiver.py"
SECRET = "live-s3cret-live-s3cret"
LEAD_TIME_DAYS = 5
DEADLINE_SECONDS = 5.0


@pytest.fixture
def service_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, online_table) -> Settings:
    """The serving tests' settings with the alert threads on (fast), and the primary suppliers'
    lead times the stock-out check reads."""
    monkeypatch.delenv("BACKORDER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = load_settings(data_dir=tmp_path / "data", api_keys=KEYS, alerts={
        "live_checks": True, "live_debounce_seconds": 0.05, "delivery_poll_seconds": 0.2})
    skus = sorted(online_table["sku_id"].unique())
    settings.canonical_dir.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"sku_id": skus, "supplier_id": "SUP1", "is_primary": True,
                  "quoted_lead_time_days": LEAD_TIME_DAYS}).to_parquet(settings.canonical_dir / "sku_suppliers.parquet")
    return settings


@pytest.fixture
def alerting(live_client, live_runtime, runtime) -> Iterator:
    """The in-process service on the live runtime, its alert threads running."""
    live_runtime.start_background()
    yield live_client
    for served in (live_runtime, runtime):  # the session's app may have started the other one's
        served.alert_workers.stop()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real webhook receiver process (tests/support/webhook_receiver.py): its URL and call log."""
    log = tmp_path / "receiver.jsonl"
    process = subprocess.Popen([sys.executable, str(RECEIVER), "--secret", SECRET, "--log", str(log)],
                               stdout=subprocess.PIPE, text=True)
    port = int(process.stdout.readline())
    yield f"http://127.0.0.1:{port}/hooks", log
    process.terminate()
    process.wait(10)
    process.stdout.close()


def _calls(log: Path, event_type: str) -> list[dict]:
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return [c for c in calls if c["headers"].get("X-Backorder-Event") == event_type]


def _wait_for(log: Path, event_type: str) -> dict:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        found = _calls(log, event_type)
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no {event_type} delivery within {DEADLINE_SECONDS} s")


def _short_sku(demand_history: pd.DataFrame) -> tuple[str, str]:
    """A SKU-location at DC1 (no open PO) whose median daily demand is at least 2 units."""
    p50 = demand_history.groupby(["sku_id", "location_id"])["y"].median()
    candidates = p50[(p50 >= 2) & (p50.index.get_level_values("location_id") == "DC1")].drop(
        ("SKU001", "DC1"), errors="ignore")
    return candidates.index[0]


def _count(event_id: str, sku: str, location: str, on_hand: int) -> dict:
    return {"event_id": event_id, "type": "stock_counted", "occurred_at": f"{TODAY.date()}T09:00:00Z",
            "sku_id": sku, "location_id": location, "on_hand": on_hand}


@pytest.mark.slow
def test_an_emptied_sku_location_alerts_a_webhook_within_seconds_and_a_recount_resolves_it(
    alerting, live_runtime, receiver, demand_history
):
    url, log = receiver
    sku, location = _short_sku(demand_history)
    made = alerting.post("/v1/webhooks", json={"url": url, "secret": SECRET}, headers=auth("planner-key"))
    assert made.status_code == 201, made.text

    started = time.monotonic()
    posted = alerting.post("/v1/events", json={"events": [_count("live-1", sku, location, 0)]}, headers=auth("erp-key"))
    assert posted.status_code == 200 and posted.json()["accepted"] == 1, posted.text
    opened = _wait_for(log, "exception.opened")
    assert time.monotonic() - started < DEADLINE_SECONDS
    assert opened["verified"]
    assert verify_signature(SECRET, opened["body"].encode(), opened["headers"]["X-Backorder-Signature"])
    exception = json.loads(opened["body"])["exception"]
    assert (exception["kind"], exception["sku_id"], exception["location_id"]) == (
        "stockout_within_lead_time", sku, location)
    assert "projected_stockout" in exception["reason_codes"] and "no_inbound" in exception["reason_codes"]

    listed = alerting.get("/v1/exceptions?status=open", headers=auth("planner-key")).json()["exceptions"]
    assert [e["id"] for e in listed] == [exception["id"]]
    inbox = alerting.get("/planner", headers=auth("planner-key"))
    assert inbox.status_code == 200 and exception["id"] in inbox.text

    recount = alerting.post("/v1/events", json={"events": [_count("live-2", sku, location, 5000)]},
                            headers=auth("erp-key"))
    assert recount.json()["accepted"] == 1
    resolved = json.loads(_wait_for(log, "exception.resolved")["body"])["exception"]
    assert (resolved["id"], resolved["status"], resolved["resolved_by"]) == (exception["id"], "resolved", "system:live")
    assert alerting.get("/v1/exceptions?status=open", headers=auth("planner-key")).json()["exceptions"] == []
    assert len(_calls(log, "exception.opened")) == 1  # one delivery per event, sent once


def test_a_reserving_score_that_takes_the_last_stock_opens_the_stockout(alerting, demand_history):
    sku, location = _short_sku(demand_history)
    counted = alerting.post("/v1/events", json={"events": [_count("live-r1", sku, location, 500)]},
                            headers=auth("erp-key"))
    assert counted.json()["accepted"] == 1
    time.sleep(0.5)  # the count's re-check (0.05 s after it) is done: 500 units, no stock-out
    assert alerting.get("/v1/exceptions?status=open", headers=auth("planner-key")).json()["exceptions"] == []
    line = {"line_id": "1", "sku_id": sku, "location_id": location, "quantity": 500, "requested_date": "2026-03-05"}
    order = {"order_id": "O-ALL", "customer_id": "C1", "customer_tier": "gold", "lines": [line], "reserve": True}
    scored = alerting.post("/v1/score", json=order, headers=auth("oms-key"))
    assert scored.status_code == 200 and scored.json()["lines"][0]["reserved_quantity"] == 500.0, scored.text
    deadline = time.monotonic() + DEADLINE_SECONDS
    found: list[dict] = []
    while not found and time.monotonic() < deadline:
        time.sleep(0.05)
        found = alerting.get("/v1/exceptions?status=open", headers=auth("planner-key")).json()["exceptions"]
    assert [(e["kind"], e["sku_id"], e["location_id"]) for e in found] == [("stockout_within_lead_time", sku, location)]
