"""Concurrent reservations never promise the same unit twice; concurrent events are each applied once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from live.state import ReservationRequest
from tests.live.conftest import event

SKU, DC = "SKU-1", "DC-1"


def test_threads_reserving_the_same_stock_get_exactly_what_is_on_hand(store):
    store.apply([event("stock_counted", sku_id=SKU, location_id=DC, on_hand=50)])

    def reserve(worker: int) -> int:
        return sum(sum(store.reserve([ReservationRequest(f"O-{worker}-{i}", "1", SKU, DC, 3)]))
                   for i in range(10))

    with ThreadPoolExecutor(max_workers=6) as pool:
        granted = list(pool.map(reserve, range(6)))
    assert sum(granted) == 50
    position = store.position(SKU, DC)
    assert (position.reserved, position.available) == (50, 0)


def test_the_same_events_sent_by_several_threads_are_applied_once(store):
    events = [event("stock_adjusted", sku_id=SKU, location_id=DC, quantity_delta=1, reason="found")
              for _ in range(40)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: store.apply(events), range(4)))
    assert sum(r.accepted for r in results) == 40
    assert sum(r.duplicates for r in results) == 120
    assert store.position(SKU, DC).on_hand == 40
    assert len(store.applied_events()) == 40
