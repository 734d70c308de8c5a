"""An order's lines read back from the live state by its id, on every store."""

from __future__ import annotations

from datetime import datetime

from live.state import ReservationRequest
from tests.live.conftest import event

SKU, DC = "SKU-1", "DC-1"


def _confirmed(order_id: str, line_id: str, quantity: int, requested: str | None = "2026-03-09") -> dict:
    return event(
        "order_confirmed",
        "2026-03-02T10:00:00",
        order_id=order_id,
        line_id=line_id,
        sku_id=SKU,
        location_id=DC,
        quantity=quantity,
        requested_date=requested,
    )


def test_an_order_s_lines_are_read_by_its_id_alone(store):
    store.apply(
        [
            event("stock_counted", "2026-03-02T08:00:00", sku_id=SKU, location_id=DC, on_hand=20),
            _confirmed("O-1", "2", 4),
            _confirmed("O-1", "1", 3, None),
            _confirmed("O-10", "1", 5),
            # an id holding the key separator and glob characters: its lines stay its own
            _confirmed("O-1\x1f2", "x", 1),
            _confirmed("O*[1]", "1", 2),
            event(
                "order_shipped",
                "2026-03-02T11:00:00",
                order_id="O-1",
                line_id="2",
                sku_id=SKU,
                location_id=DC,
                quantity=4,
            ),
        ]
    )
    store.reserve([ReservationRequest("O-1", "3", SKU, DC, 2)], at=datetime(2026, 3, 2, 12))

    lines = store.order_lines("O-1")
    assert [(line.line_id, line.quantity, line.reserved, line.shipped) for line in lines] == [
        ("1", 3, 3, 0),
        ("2", 4, 0, 4),
        ("3", 2, 2, 0),
    ]
    assert [line.requested_date for line in lines] == [None, "2026-03-09", None]
    assert lines[0].confirmed_at == "2026-03-02T10:00:00" and lines[2].confirmed_at is None  # a scoring's hold
    assert lines[1].shipped_at == "2026-03-02T11:00:00"
    assert [line.line_id for line in store.order_lines("O*[1]")] == ["1"]
    assert store.order_lines("O-") == [] and store.order_lines("O-1*") == []
