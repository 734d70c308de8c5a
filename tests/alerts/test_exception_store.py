"""The exception store's life cycle and deduplication, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from alerts.detection import order_lines_at_risk
from alerts.store import ExceptionStore, InvalidTransition, UnknownException, exception_json
from settings.sections import AlertsSettings

NOW = datetime(2026, 3, 2, 6, 0)
CFG = AlertsSettings()


def _lines(probabilities: dict[str, float]) -> pd.DataFrame:
    scored = pd.DataFrame({
        "order_id": list(probabilities), "line_id": "1", "sku_id": "A", "location_id": "DC1", "quantity": 10,
        "backorder_probability": list(probabilities.values()),
    })
    return order_lines_at_risk(scored, CFG)


def test_a_redetected_open_exception_is_updated_not_repeated(engine):
    store = ExceptionStore(engine)
    first = store.record(_lines({"O1": 0.6, "O2": 0.55}), NOW)
    assert len(first.opened) == 2 and not first.updated
    later = NOW + timedelta(hours=1)
    again = store.record(_lines({"O1": 0.7}), later)
    assert not again.opened and len(again.updated) == 1 and not again.escalated
    o1 = again.updated[0]
    assert o1["id"] == next(e["id"] for e in first.opened if e["order_id"] == "O1")
    assert o1["updated_at"] == later and o1["opened_at"] == NOW and o1["detections"] == 2
    assert o1["details"]["backorder_probability"] == 0.7
    assert len(store.find(status="open")) == 2


def test_a_rise_in_severity_is_an_escalation_event(engine):
    store = ExceptionStore(engine)
    store.record(_lines({"O1": 0.6}), NOW)
    raised = store.record(_lines({"O1": 0.9}), NOW + timedelta(hours=1))
    assert [e["severity"] for e in raised.escalated] == ["critical"]
    assert [e.type for e in raised.events] == ["exception.escalated"]


def test_life_cycle_acknowledge_resolve_then_a_recurrence_opens_a_new_one(engine):
    store = ExceptionStore(engine)
    opened = store.record(_lines({"O1": 0.6}), NOW).opened[0]
    acked = store.acknowledge(opened["id"], "planner-1", "calling the supplier", NOW + timedelta(minutes=5))
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == "planner-1"
    assert store.record(_lines({"O1": 0.6}), NOW + timedelta(hours=1)).updated[0]["status"] == "acknowledged"
    resolved = store.resolve(opened["id"], "planner-1", "stock moved", NOW + timedelta(hours=2))
    assert resolved["status"] == "resolved" and resolved["comment"] == "stock moved"
    with pytest.raises(InvalidTransition, match="resolved"):
        store.acknowledge(opened["id"], "planner-1", None, NOW + timedelta(hours=3))
    recurred = store.record(_lines({"O1": 0.6}), NOW + timedelta(hours=4))
    assert len(recurred.opened) == 1 and recurred.opened[0]["id"] != opened["id"]
    assert {e["status"] for e in store.find(kind="order_line_at_risk")} == {"open", "resolved"}


def test_exceptions_not_seen_again_expire(engine):
    store = ExceptionStore(engine)
    store.record(_lines({"O1": 0.6, "O2": 0.6}), NOW)
    store.record(_lines({"O2": 0.6}), NOW + timedelta(hours=30))
    expired = store.expire(NOW + timedelta(hours=40), timedelta(hours=36))
    assert [e["order_id"] for e in expired] == ["O1"] and expired[0]["status"] == "expired"
    assert [e["order_id"] for e in store.find(status="open")] == ["O2"]


def test_unknown_ids_and_bad_filters_are_named(engine):
    store = ExceptionStore(engine)
    with pytest.raises(UnknownException):
        store.resolve("nope", "x", None, NOW)
    with pytest.raises(ValueError, match="severity"):
        store.find(severity="urgent")


def test_filters_and_json_form(engine):
    store = ExceptionStore(engine)
    store.record(_lines({"O1": 0.6}), NOW)
    assert store.find(location="DC1", severity="info")
    assert not store.find(location="DC2")
    as_json = exception_json(store.find()[0])
    assert as_json["opened_at"] == "2026-03-02T06:00:00" and as_json["reason_codes"] == ["risk_above_threshold"]


def test_concurrent_scans_open_each_problem_once(engine):
    from concurrent.futures import ThreadPoolExecutor

    store = ExceptionStore(engine)
    detected = _lines({f"O{i}": 0.6 for i in range(50)})
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: store.record(detected, NOW), range(4)))
    assert sum(len(r.opened) for r in results) == 50
    assert len(store.find(status="open")) == 50
