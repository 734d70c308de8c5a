"""The idempotency window, reservations in the event log, and seeding once, on every store."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pandas as pd
import pytest

from live.answers import positions_frame
from live.compaction import replay
from live.records import PositionRecord
from live.state import ReservationRequest
from tests.live.conftest import STORES, event, open_store

SKU, DC = "SKU-1", "DC-1"


@pytest.fixture(params=STORES)
def kind_and_prefix(request):
    prefix = request.getfixturevalue("redis_prefix") if request.param == "redis" else None
    return request.param, prefix


def test_a_duplicate_inside_the_window_is_a_duplicate_and_after_it_applies_again(kind_and_prefix, tmp_path):
    kind, prefix = kind_and_prefix
    store = open_store(kind, tmp_path, prefix, window_seconds=1.0)
    try:
        found = event("stock_adjusted", sku_id=SKU, location_id=DC, quantity_delta=5, reason="found")
        assert store.apply([found]).accepted == 1
        again = store.apply([found])
        assert (again.accepted, again.duplicates) == (0, 1)
        assert store.position(SKU, DC).on_hand == 5
        time.sleep(1.2)  # the window has passed: the id is forgotten
        late = store.apply([found])
        assert (late.accepted, late.duplicates) == (1, 0)
        assert store.position(SKU, DC).on_hand == 10
    finally:
        store.close()


def test_a_replay_of_the_log_rebuilds_the_state_holds_included(store):
    store.apply([
        event("stock_counted", "2026-03-02T08:00:00", sku_id=SKU, location_id=DC, on_hand=20),
        event("stock_counted", "2026-03-02T08:00:00", sku_id=SKU, location_id="DC-2", on_hand=3),
    ])
    at = datetime(2026, 3, 2, 9)
    assert store.reserve([ReservationRequest("O-1", "1", SKU, DC, 8),
                          ReservationRequest("O-2", "1", SKU, "DC-2", 5)], at=at) == [8, 3]
    assert store.reserve([ReservationRequest("O-1", "1", SKU, DC, 8)], at=at) == [8]  # held already
    store.apply([
        event("order_confirmed", "2026-03-02T10:00:00", order_id="O-1", line_id="1", sku_id=SKU,
              location_id=DC, quantity=10, requested_date=None),
        event("order_shipped", "2026-03-02T11:00:00", order_id="O-2", line_id="1", sku_id=SKU,
              location_id="DC-2", quantity=3),
    ])
    assert store.reserve([ReservationRequest("O-3", "1", SKU, DC, 4)], at=datetime(2026, 3, 2, 12)) == [4]

    logged = store.applied_events()
    assert [e["type"] for e in logged].count("order_reserved") == 3
    book, _ = replay(logged)
    replayed = positions_frame(r for r in book.records().values() if isinstance(r, PositionRecord))
    live = store.positions([SKU])
    assert live.to_dict("records") == replayed.to_dict("records")
    assert live.set_index("location_id")["reserved"].to_dict() == {"DC-1": 14, "DC-2": 0}


def test_an_order_reserved_event_from_a_sender_is_refused(store):
    result = store.apply([event("order_reserved", order_id="O-1", line_id="1", sku_id=SKU, location_id=DC,
                                quantity=5, reserved=5)])
    assert result.accepted == 0
    assert result.rejected[0].errors[0].startswith("type: unknown event type 'order_reserved'")


def _stock(on_hand: float) -> pd.DataFrame:
    return pd.DataFrame({"sku_id": [SKU, SKU], "location_id": [DC, "DC-2"], "on_hand": [on_hand, on_hand],
                         "allocated": [0.0, 0.0]})


def test_two_workers_seeding_at_once_seed_once(kind_and_prefix, tmp_path):
    kind, prefix = kind_and_prefix
    stores = [open_store(kind, tmp_path, prefix) for _ in range(2)]
    no_pos = pd.DataFrame(columns=["po_id", "supplier_id", "sku_id", "location_id", "quantity", "promised_date"])
    start = threading.Barrier(2)
    outcomes: list[bool] = [False, False]

    def seed(worker: int) -> None:
        start.wait()
        outcomes[worker] = stores[worker].seed(_stock(10.0 * (worker + 1)), no_pos, pd.Timestamp("2026-03-01"),
                                               only_if_empty=True)

    try:
        threads = [threading.Thread(target=seed, args=(worker,)) for worker in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == [False, True]
        winner = outcomes.index(True)
        assert _on_hand(stores[0]) == [10 * (winner + 1)] * 2  # one seed whole, not a mix
        stores[0].apply([event("stock_counted", sku_id=SKU, location_id=DC, on_hand=99)])
        assert not stores[1].seed(_stock(1.0), no_pos, pd.Timestamp("2026-03-01"), only_if_empty=True)
        assert stores[1].position(SKU, DC).on_hand == 99  # a later start keeps what events made
    finally:
        for store in stores:
            store.close()


def _on_hand(store) -> list[int]:
    return store.positions([SKU])["on_hand"].tolist()


def test_a_file_whose_log_holds_unique_ids_keeps_its_log_and_knows_its_ids(tmp_path):
    import json
    import sqlite3

    from live.sqlite_state import SqliteLiveState

    old = event("stock_adjusted", sku_id=SKU, location_id=DC, quantity_delta=5, reason="found")
    db = sqlite3.connect(tmp_path / "live.db")
    db.executescript("""
        CREATE TABLE records (key TEXT PRIMARY KEY, kind TEXT NOT NULL, sku_id TEXT NOT NULL, value TEXT NOT NULL);
        CREATE TABLE event_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE,
                                event TEXT NOT NULL);
    """)
    db.execute("INSERT INTO event_log (event_id, event) VALUES (?, ?)", (old["event_id"], json.dumps(old)))
    db.commit()
    db.close()
    store = SqliteLiveState(tmp_path / "live.db")
    try:
        assert store.apply([old]).duplicates == 1  # applied before the file changed form
        assert store.apply([{**old, "event_id": "new-1"}]).accepted == 1
        assert [e["event_id"] for e in store.applied_events()] == [old["event_id"], "new-1"]
    finally:
        store.close()


def test_events_sent_again_after_a_seed_apply_to_the_seeded_stock(kind_and_prefix, tmp_path):
    """A replay that moves the state back to a day and sends that day's events again gets the same
    stock the first time and every time after, however recently the same ids were sent."""
    kind, prefix = kind_and_prefix
    store = open_store(kind, tmp_path, prefix)
    no_pos = pd.DataFrame(columns=["po_id", "supplier_id", "sku_id", "location_id", "quantity", "promised_date"])
    shipped = event("order_shipped", "2026-03-02T11:00:00", order_id="O-1", line_id="1", sku_id=SKU,
                    location_id=DC, quantity=4)
    try:
        on_hand = []
        for _ in range(2):
            store.seed(_stock(10.0), no_pos, pd.Timestamp("2026-03-01"))
            result = store.apply([shipped])
            assert (result.accepted, result.duplicates) == (1, 0)
            on_hand.append(store.position(SKU, DC).on_hand)
        assert on_hand == [6, 6]
        assert store.apply([shipped]).duplicates == 1  # still a duplicate until the next seed
    finally:
        store.close()
