"""The exception chain against a real ``bentoml serve``: a webhook registered to a real receiver on
127.0.0.1, an event that empties a SKU-location, the signed alert delivered within seconds, the
exception in ``GET /v1/exceptions?status=open`` and on ``/planner``, its transfer accepted in
headless Chromium, the next score seeing the moved stock, and the decision's audit row."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from bentoml_serve import bentoml_serve, call_json, stop
from chromium_page import chromium_page, screenshot, visible
from serving_helpers import KEYS, TODAY
from test_serving_alerts_live import RECEIVER, SECRET, _wait_for

from alerts.decisions import DecisionLog
from alerts.desk import AlertDesk
from alerts.webhooks import verify_signature
from settings import load_settings

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
SKU, SHORT, DONOR = "SKU005", "DC1", "DC2"
DAILY_UNITS = 10
DEADLINE_SECONDS = 5.0


class Api:
    """JSON over HTTP to the served service."""

    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, body: dict | None = None, key: str = "planner-key") -> tuple[int, dict]:
        status, answer, _ = call_json(self.base, method, path, body, key)
        return status, answer


def _write_canonical(canonical: Path) -> None:
    """Lead times for every SKU and ``DAILY_UNITS`` ordered per day of SKU at DC1 over the 28 days
    before TODAY (the demand the stock-out check reads without a demand champion)."""
    canonical.mkdir(parents=True)
    skus = [f"SKU{i:03d}" for i in range(30)]
    pd.DataFrame({"sku_id": skus, "supplier_id": "SUP1", "is_primary": True,
                  "quoted_lead_time_days": 5}).to_parquet(canonical / "sku_suppliers.parquet")
    days = pd.date_range(TODAY - pd.Timedelta(days=27), TODAY) + pd.Timedelta(hours=9)
    ids = [f"O{i}" for i in range(len(days))]
    pd.DataFrame({"order_id": ids, "order_time": days}).to_parquet(canonical / "orders.parquet")
    pd.DataFrame({"order_id": ids, "sku_id": SKU, "location_id": SHORT,
                  "quantity": DAILY_UNITS}).to_parquet(canonical / "order_lines.parquet")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``bentoml serve`` of the generated world (tests/serving/live_service.py) with its alert
    threads on, a webhook receiver process, and the data folder."""
    data = tmp_path_factory.mktemp("served-planner")
    _write_canonical(data / "canonical")
    env = {
        "BACKORDER_DATA_DIR": str(data),
        "BACKORDER_API_KEYS": json.dumps(KEYS),
        "BACKORDER_ALERTS__LIVE_CHECKS": "true",
        "BACKORDER_ALERTS__LIVE_DEBOUNCE_SECONDS": "0.05",
        "BACKORDER_ALERTS__DELIVERY_POLL_SECONDS": "0.2",
        "BENTOML_HOME": str(data / "bentoml"),
    }
    calls = data / "receiver.jsonl"
    receiver = subprocess.Popen([sys.executable, str(RECEIVER), "--secret", SECRET, "--log", str(calls)],
                                stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        receiver_port = int(receiver.stdout.readline())
        with bentoml_serve("live_service:RiskService", env, data / "serve.log", cwd=data, working_dir=HERE,
                           unset=["BACKORDER_CONFIG"]) as base:
            yield Api(base), f"http://127.0.0.1:{receiver_port}/hooks", calls, data
    finally:
        stop(receiver)
        receiver.stdout.close()


def _count(event_id: str, location: str, on_hand: int) -> dict:
    return {"event_id": event_id, "type": "stock_counted", "occurred_at": f"{TODAY.date()}T09:00:00Z",
            "sku_id": SKU, "location_id": location, "on_hand": on_hand}


def _reserve_all(api: Api, order_id: str, location: str) -> float:
    """Units a reserving score of 10,000 units at ``location`` takes: its free stock as the score sees it."""
    line = {"line_id": "1", "sku_id": SKU, "location_id": location, "quantity": 10_000, "requested_date": "2026-03-05"}
    status, body = api.call("POST", "/v1/score", {"order_id": order_id, "customer_id": "C1", "customer_tier": "gold",
                                                  "lines": [line], "reserve": True}, key="oms-key")
    assert status == 200, body
    return body["lines"][0]["reserved_quantity"]


def test_an_emptied_sku_location_is_alerted_listed_and_its_transfer_accepted_in_a_browser(served, tmp_path):
    api, url, calls, data = served
    status, made = api.call("POST", "/v1/webhooks", {"url": url, "secret": SECRET})
    assert status == 201, made
    status, posted = api.call("POST", "/v1/events", {"events": [_count("e2e-1", DONOR, 500)]}, key="erp-key")
    assert status == 200 and posted["accepted"] == 1, posted

    started = time.monotonic()
    status, posted = api.call("POST", "/v1/events", {"events": [_count("e2e-2", SHORT, 0)]}, key="erp-key")
    assert status == 200 and posted["accepted"] == 1, posted
    opened = _wait_for(calls, "exception.opened")
    assert time.monotonic() - started < DEADLINE_SECONDS
    assert opened["verified"] and verify_signature(SECRET, opened["body"].encode(),
                                                   opened["headers"]["X-Backorder-Signature"])
    exception = json.loads(opened["body"])["exception"]
    assert (exception["kind"], exception["sku_id"], exception["location_id"]) == (
        "stockout_within_lead_time", SKU, SHORT)
    status, listed = api.call("GET", "/v1/exceptions?status=open")
    assert [e["id"] for e in listed["exceptions"]] == [exception["id"]]
    status, inbox = api.call("GET", "/planner")
    assert status == 200 and exception["id"] in inbox["text"]

    with chromium_page(tmp_path) as page:
        page.send("Page.navigate", url=f"{api.base}/planner/login")
        page.wait_for("document.querySelector('#key')")
        page.type("#key", "planner-key")
        page.click("#login")
        page.wait_for("location.pathname === '/planner' && document.querySelector('#inbox')")
        page.click(f'a[href="/planner/exceptions/{exception["id"]}"]')
        page.wait_for("document.querySelector('#decide')")
        move = page.eval("document.querySelector('#move').textContent")
        assert move.startswith("transfer ") and f"of {SKU} from {DONOR} to {SHORT}" in move, move
        assert visible(page, "#forecast-plot")
        assert page.eval("document.querySelector('#forecast-plot rect.actual').dataset.value") == f"{DAILY_UNITS:.1f}"
        screenshot(page, "planner-served-exception.png")
        page.click("#accept")
        page.wait_for("document.querySelector('#notice')")
    moved = int(move.split()[1])

    assert _reserve_all(api, "O-AFTER", DONOR) == 500 - moved  # the next score sees the transfer
    desk = AlertDesk.from_settings(load_settings(data_dir=data))
    [audit] = DecisionLog(desk.store.engine).of(exception["id"])
    assert (audit["decision"], audit["action_kind"], audit["who"]) == ("accept", "transfer", audit["who"])
    assert audit["who"].startswith("key:")
    status, still_open = api.call("GET", "/v1/exceptions?status=open")
    assert exception["id"] not in [e["id"] for e in still_open["exceptions"]]
