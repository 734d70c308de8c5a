"""Events change stock, reservations and open PO lines as docs/live.md says, on every store."""

from __future__ import annotations

import pandas as pd
import pytest

from live.state import ReservationRequest
from tests.live.conftest import event

SKU, DC = "SKU-1", "DC-1"


def _count(on_hand: int, at: str = "2026-03-02T08:00:00", **kw) -> dict:
    return event("stock_counted", at, sku_id=SKU, location_id=DC, on_hand=on_hand, **kw)


def _line(type_: str, quantity: int, line: str = "1", at: str = "2026-03-02T10:00:00", **kw) -> dict:
    return event(type_, at, order_id="O-1", line_id=line, sku_id=SKU, location_id=DC, quantity=quantity, **kw)


def _po(po_id: str = "PO-1") -> dict:
    return event("po_created", "2026-03-01T09:00:00", po_id=po_id, supplier_id="S-1", sku_id=SKU,
                 location_id=DC, quantity=50, promised_date="2026-03-20")


def test_counts_adjustments_and_shipments_move_on_hand(store):
    result = store.apply([
        _count(40),
        event("stock_adjusted", sku_id=SKU, location_id=DC, quantity_delta=-3, reason="damaged"),
        _line("order_confirmed", 10, requested_date="2026-03-05"),
        _line("order_shipped", 4),
    ])
    assert (result.accepted, result.duplicates, result.rejected) == (4, 0, [])
    position = store.position(SKU, DC)
    assert (position.on_hand, position.reserved, position.available) == (33, 6, 27)
    assert position.as_of == pd.Timestamp("2026-03-02T10:00:00")


def test_a_count_older_than_the_last_applied_count_is_ignored(store):
    store.apply([_count(40, at="2026-03-02T12:00:00"), _count(25, at="2026-03-02T07:00:00")])
    assert store.position(SKU, DC).on_hand == 40
    store.apply([_count(30, at="2026-03-02T13:00:00")])
    assert store.position(SKU, DC).on_hand == 30


def test_the_same_event_id_is_applied_once(store):
    adjust = event("stock_adjusted", sku_id=SKU, location_id=DC, quantity_delta=5, reason="found")
    first = store.apply([_count(10), adjust, adjust])
    again = store.apply([adjust])
    assert (first.accepted, first.duplicates) == (2, 1)
    assert (again.accepted, again.duplicates) == (0, 1)
    assert store.position(SKU, DC).on_hand == 15
    assert [e["event_id"] for e in store.applied_events()].count(adjust["event_id"]) == 1


def test_a_po_line_follows_its_changes_asns_and_receipts(store):
    store.apply([
        _count(0),
        _po(),
        event("po_changed", "2026-03-03T09:00:00", po_id="PO-1", quantity=60, promised_date=None),
        event("asn_received", "2026-03-10T09:00:00", po_id="PO-1", eta="2026-03-22", quantity=60),
        event("asn_received", "2026-03-08T09:00:00", po_id="PO-1", eta="2026-03-18", quantity=60),
        event("po_received", "2026-03-21T09:00:00", po_id="PO-1", quantity=25),
    ])
    open_pos = store.open_purchase_orders([SKU])
    assert open_pos.to_dict("records") == [{
        "po_id": "PO-1", "supplier_id": "S-1", "sku_id": SKU, "location_id": DC, "quantity": 35,
        "promised_date": pd.Timestamp("2026-03-20"), "eta": pd.Timestamp("2026-03-22"),
    }]
    assert store.position(SKU, DC).on_hand == 25
    assert [po.quantity for po in store.position(SKU, DC).open_pos] == [35]
    store.apply([event("po_received", "2026-03-22T09:00:00", po_id="PO-1", quantity=35)])
    assert store.open_purchase_orders([SKU]).empty
    assert store.position(SKU, DC).on_hand == 60


def test_a_cancelled_po_line_is_no_longer_open(store):
    store.apply([_po(), event("po_cancelled", po_id="PO-1")])
    assert store.open_purchase_orders([SKU]).empty
    late = store.apply([event("po_received", po_id="PO-1", quantity=5)])
    assert late.accepted == 0 and late.rejected[0].errors == ["po_id: PO line 'PO-1' is cancelled"]


def test_an_event_that_does_not_fit_is_refused_and_can_come_again_later(store):
    receipt = event("po_received", po_id="PO-9", quantity=5)
    refused = store.apply([receipt])
    assert refused.rejected[0].event_id == receipt["event_id"]
    assert refused.rejected[0].errors == ["po_id: unknown PO line 'PO-9'"]
    store.apply([_po(po_id="PO-9")])
    assert store.apply([receipt]).accepted == 1
    assert store.position(SKU, DC).on_hand == 5


def test_invalid_events_are_refused_with_their_index_and_the_rest_applied(store):
    result = store.apply([_count(10), {"event_id": "bad", "type": "stock_counted"}, _count(12)])
    assert result.accepted == 2
    assert [(r.index, r.event_id) for r in result.rejected] == [(1, "bad")]
    assert "sku_id: missing" in result.rejected[0].errors


def test_a_line_reserved_then_confirmed_is_reserved_once(store):
    store.apply([_count(10)])
    assert store.reserve([ReservationRequest("O-1", "1", SKU, DC, 4)]) == [4]
    assert store.reserve([ReservationRequest("O-1", "1", SKU, DC, 4)]) == [4]  # same line: no change
    store.apply([_line("order_confirmed", 6, requested_date=None)])
    assert store.position(SKU, DC).reserved == 6
    assert store.reserve([ReservationRequest("O-2", "1", SKU, DC, 9)]) == [4]  # only 4 left
    store.apply([_line("order_cancelled", 6)])
    assert store.position(SKU, DC).reserved == 4


def test_transfers_move_stock_through_in_transit(store):
    store.apply([
        event("stock_counted", sku_id=SKU, location_id="DC-1", on_hand=20),
        event("transfer_shipped", transfer_id="T-1", sku_id=SKU, from_location_id="DC-1",
              to_location_id="DC-2", quantity=8),
    ])
    frame = store.positions([SKU]).set_index("location_id")
    assert frame.loc["DC-1", "on_hand"] == 12 and frame.loc["DC-2", "in_transit"] == 8
    store.apply([event("transfer_received", transfer_id="T-1", sku_id=SKU, to_location_id="DC-2", quantity=8)])
    destination = store.position(SKU, "DC-2")
    assert (destination.on_hand, destination.in_transit) == (8, 0)


def test_seed_starts_from_the_canonical_stock_and_open_pos(store):
    stock = pd.DataFrame({"sku_id": [SKU], "location_id": [DC], "on_hand": [30.0], "allocated": [5.0]})
    open_pos = pd.DataFrame({"po_id": ["PO-5"], "supplier_id": ["S-1"], "sku_id": [SKU], "location_id": [DC],
                             "quantity": [12.0], "promised_date": [pd.Timestamp("2026-03-09")],
                             "eta": [pd.NaT]})
    store.seed(stock, open_pos, pd.Timestamp("2026-03-01"))
    position = store.position(SKU, DC)
    assert (position.on_hand, position.reserved, [p.po_id for p in position.open_pos]) == (30, 5, ["PO-5"])
    store.apply([_count(99, at="2026-02-28T18:00:00")])  # counted before the seed: ignored
    assert store.position(SKU, DC).on_hand == 30


def test_an_unknown_sku_location_has_no_position(store):
    assert store.position("nope", DC) is None
    assert store.positions(["nope"]).empty


def test_a_line_confirmed_at_another_location_moves_its_hold_there(store):
    store.apply([_count(10), event("stock_counted", sku_id=SKU, location_id="DC-2", on_hand=10)])
    store.reserve([ReservationRequest("O-1", "1", SKU, DC, 4)])
    store.apply([event("order_confirmed", order_id="O-1", line_id="1", sku_id=SKU, location_id="DC-2",
                       quantity=5, requested_date=None)])
    reserved = store.positions([SKU]).set_index("location_id")["reserved"].to_dict()
    assert reserved == {"DC-1": 0, "DC-2": 5}


def test_a_po_change_without_anything_to_change_is_refused(store):
    store.apply([_po()])
    result = store.apply([event("po_changed", po_id="PO-1", quantity=None, promised_date=None)])
    assert result.rejected[0].errors == ["po_changed: give a new quantity, a new promised_date or both"]


def test_a_malformed_reservation_names_its_field(store):
    with pytest.raises(ValueError, match="quantity: must be a whole number > 0, got 0"):
        store.reserve([ReservationRequest("O-1", "1", SKU, DC, 0)])
