"""Re-checks of what events touched, against a real live state: a stock-out opens and clears, a
late PO opens and closes, and a burst of touches is checked once."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

from alerts.desk import AlertDesk
from alerts.live_watch import LiveChecks, LiveWatch
from alerts.store import ExceptionStore
from live.sqlite_state import SqliteLiveState
from settings.sections import AlertsSettings

TODAY = pd.Timestamp("2026-03-02")
AT = "2026-03-02T08:00:00Z"


def _demand(keys: pd.DataFrame, as_of: pd.Timestamp, horizon: int) -> pd.DataFrame:
    days = pd.DataFrame({"ds": pd.date_range(as_of + pd.Timedelta(days=1), periods=horizon)})
    return keys.assign(p50=4.0).merge(days, how="cross")


@pytest.fixture
def live(tmp_path):
    state = SqliteLiveState(tmp_path / "live.db")
    yield state
    state.close()


@pytest.fixture
def checks(live, engine) -> LiveChecks:
    lead_times = pd.DataFrame({"sku_id": ["A", "B"], "lead_time_days": [5.0, 5.0]})
    return LiveChecks(live, AlertDesk(ExceptionStore(engine), AlertsSettings()), _demand, lead_times, lambda: TODAY)


def _apply(live, checks, *events: dict):
    result = live.apply([{"occurred_at": AT, **e} for e in events])
    assert result.accepted == len(events), result
    return checks(set(result.sku_locations), set(result.po_ids))


def _count(event_id: str, sku: str, on_hand: int) -> dict:
    return {"event_id": event_id, "type": "stock_counted", "sku_id": sku, "location_id": "DC1", "on_hand": on_hand}


def test_an_emptied_sku_location_opens_a_stockout_and_a_recount_resolves_it(live, checks):
    first = _apply(live, checks, _count("c1", "A", 0), _count("c2", "B", 500))
    [opened] = first.recorded.opened
    assert (opened["kind"], opened["sku_id"], opened["reason_codes"]) == (
        "stockout_within_lead_time", "A", ["projected_stockout", "no_inbound"])
    again = _apply(live, checks, _count("c3", "A", 0))
    assert not again.recorded.opened and [e["id"] for e in again.recorded.updated] == [opened["id"]]
    cleared = _apply(live, checks, _count("c4", "A", 100))
    assert [(e["id"], e["status"]) for e in cleared.resolved] == [(opened["id"], "resolved")]
    assert checks.desk.store.find(status="open") == []


def test_a_late_asn_opens_po_late_and_the_receipt_resolves_it(live, checks):
    po = {"event_id": "p1", "type": "po_created", "po_id": "PO-1", "supplier_id": "S1", "sku_id": "B",
          "location_id": "DC1", "quantity": 30, "promised_date": "2026-03-10"}
    created = _apply(live, checks, _count("c1", "B", 500), po)
    assert created.recorded.opened == []
    late = _apply(live, checks, {"event_id": "a1", "type": "asn_received", "po_id": "PO-1", "eta": "2026-03-15",
                                 "quantity": 30})
    [opened] = late.recorded.opened
    assert (opened["kind"], opened["po_id"], opened["reason_codes"]) == ("po_late", "PO-1", ["asn_after_promise"])
    received = _apply(live, checks, {"event_id": "r1", "type": "po_received", "po_id": "PO-1", "quantity": 30})
    assert [e["id"] for e in received.resolved] == [opened["id"]]


def test_a_burst_of_touches_is_checked_once_after_the_debounce_and_stop_ends_the_thread():
    calls: list[tuple[set, set]] = []
    checked = threading.Event()
    watch = LiveWatch(lambda keys, pos: calls.append((keys, pos)), debounce_seconds=0.2, after_check=checked.set)
    watch.start()
    try:
        for i in range(20):
            watch.touch([(f"S{i % 3}", "DC1")], ["PO-1"] if i == 5 else [])
        assert checked.wait(5)
        time.sleep(0.3)
    finally:
        watch.stop()
    assert not watch.is_alive()
    assert calls == [({("S0", "DC1"), ("S1", "DC1"), ("S2", "DC1")}, {"PO-1"})]
