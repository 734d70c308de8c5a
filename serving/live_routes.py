"""Routes of the live state: events in (``POST /v1/events``), a SKU-location's stock now.

The routes are an ``APIRouter`` the service includes; each event is validated and applied on its
own by the store (``live.LiveState.apply``), so a bad event is reported with its reasons and never
blocks the good ones in the same body. What the applied events changed is queued for the alert
re-check (``serving.live_alerts``), which runs off the request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from live.state import ApplyResult, LiveState, Rejection, StockPosition
from serving.errors import error_response
from serving.roles import RequireRole
from serving.runtime import Runtime
from serving.schemas import ID_PATTERN, EventsIn, EventsOut, OpenPoOut, RejectedEvent, StockOut

router = APIRouter()
PathId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]


def _no_live_state() -> JSONResponse:
    problem = "the service has no live state; see GET /v1/status"
    return error_response(503, "live state unavailable", [("live_state", problem)])


def apply_events(live: LiveState, events: list[Any], touched: Callable[[ApplyResult], None] | None = None) -> EventsOut:
    """Apply the JSON objects among ``events``; anything else is rejected at its index. ``touched``
    hears what the applied events changed (the service queues its alert re-check there)."""
    objects = [i for i, e in enumerate(events) if isinstance(e, dict)]
    rejected = [
        Rejection(i, None, ["event: must be a JSON object"]) for i, e in enumerate(events) if not isinstance(e, dict)
    ]
    result = live.apply([events[i] for i in objects])
    if touched is not None:
        touched(result)
    rejected += [Rejection(objects[r.index], r.event_id, r.errors) for r in result.rejected]
    return EventsOut(
        accepted=result.accepted,
        duplicates=result.duplicates,
        rejected=[
            RejectedEvent(index=r.index, event_id=r.event_id, errors=r.errors)
            for r in sorted(rejected, key=lambda r: r.index)
        ],
    )


def stock_out(position: StockPosition) -> StockOut:
    """The answer of ``GET /v1/stock/...`` for a position."""
    return StockOut(
        sku_id=position.sku_id,
        location_id=position.location_id,
        on_hand=position.on_hand,
        reserved=position.reserved,
        available=position.available,
        in_transit=position.in_transit,
        open_pos=[
            OpenPoOut(
                po_id=po.po_id,
                supplier_id=po.supplier_id,
                quantity=po.quantity,
                promised_date=po.promised_date.date(),
                eta=None if po.eta is None else po.eta.date(),
            )
            for po in position.open_pos
        ],
        as_of=None if position.as_of is None else position.as_of.to_pydatetime(),
    )


@router.post("/v1/events", response_model=EventsOut, tags=["events"])
def post_events(body: EventsIn, runtime: Annotated[Runtime, Depends(RequireRole("oms", "erp"))]) -> Any:
    """Events from the OMS, ERP or WMS (up to 1,000), applied in order, each once by event_id.

    The answer counts the events applied and the duplicates, and lists each rejected event with
    its index and reasons; the others are applied all the same.
    """
    live = runtime.components.live
    if live is None:
        return _no_live_state()
    return apply_events(live, body.events, lambda applied: runtime.touch(applied.sku_locations, applied.po_ids))


@router.get("/v1/stock/{sku_id}/{location_id}", response_model=StockOut, tags=["oms", "planner"])
def get_stock(
    sku_id: PathId,
    location_id: PathId,
    runtime: Annotated[Runtime, Depends(RequireRole("oms", "planner"))],
) -> Any:
    """A SKU-location's stock now: on hand, reserved, available, in transit and its open POs."""
    live = runtime.components.live
    if live is None:
        return _no_live_state()
    position = live.position(sku_id, location_id)
    if position is None:
        problem = f"the live state holds no stock of {sku_id!r} at {location_id!r}"
        return error_response(404, "unknown SKU-location", [("sku_id", problem)])
    return stock_out(position)
