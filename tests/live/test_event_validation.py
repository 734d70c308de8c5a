"""Events are checked against their declarations: each problem names its field."""

from __future__ import annotations

import pytest

from contracts.event_validation import validate_event
from contracts.events import EVENTS


def _count(**changes):
    event = {"event_id": "e1", "type": "stock_counted", "occurred_at": "2026-03-01T10:00:00Z",
             "sku_id": "SKU-1", "location_id": "DC-1", "on_hand": 40}
    return {**event, **changes}


def test_a_valid_event_is_normalized():
    event, errors = validate_event(_count(occurred_at="2026-03-01T11:30:00+01:00", sku_id=" SKU-1 "))
    assert errors == []
    assert event == {"event_id": "e1", "type": "stock_counted", "occurred_at": "2026-03-01T10:30:00",
                     "sku_id": "SKU-1", "location_id": "DC-1", "on_hand": 40}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"on_hand": "40"}, "on_hand: expected a whole number, got '40'"),
        ({"on_hand": True}, "on_hand: expected a whole number, got True"),
        ({"on_hand": 40.0}, "on_hand: expected a whole number"),
        ({"on_hand": -1}, "on_hand: must be >= 0, got -1"),
        ({"on_hand": None}, "on_hand: missing"),
        ({"sku_id": "  "}, "sku_id: expected non-blank text"),
        ({"occurred_at": "yesterday"}, "occurred_at: expected an ISO date-time"),
        ({"colour": "red"}, "colour: not a field of stock_counted"),
        ({"type": "stock_teleported"}, "type: unknown event type 'stock_teleported'"),
        ({"event_id": 7}, "event_id: expected non-blank text, got 7"),
    ],
)
def test_a_bad_field_is_named_with_its_problem(changes, message):
    event, errors = validate_event(_count(**changes))
    assert event is None
    assert any(error.startswith(message) for error in errors), errors


def test_every_problem_is_reported_at_once():
    _, errors = validate_event({"type": "po_created", "event_id": "e2", "occurred_at": "2026-03-01",
                                "po_id": "PO-1", "quantity": 0, "promised_date": "03/05/2026"})
    fields = sorted(error.split(":")[0] for error in errors)
    assert fields == ["location_id", "promised_date", "quantity", "sku_id", "supplier_id"]


def test_nullable_fields_may_be_left_out():
    event, errors = validate_event({"type": "po_changed", "event_id": "e3", "occurred_at": "2026-03-01T08:00:00",
                                    "po_id": "PO-1", "promised_date": "2026-04-01"})
    assert errors == []
    assert event["quantity"] is None and event["promised_date"] == "2026-04-01"


def test_a_non_object_is_refused():
    assert validate_event(["stock_counted"]) == (None, ["event: expected an object, got list"])


def test_every_declared_type_has_a_distinct_name():
    assert len({e.type for e in EVENTS}) == len(EVENTS)
