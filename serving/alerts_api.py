"""The planner workbench routes (webhook subscriptions, the exceptions' list and life cycle) and
the customer notice of an order, scored or confirmed through events.

An ``APIRouter`` the service includes; the routes read the runtime's ``AlertDesk``
(``alerts.desk``) and answer 503 when its database could not be opened at start-up. Sending
webhooks happens off the request path (the service's delivery thread, ``serving.live_alerts``).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from alerts.delivery import utc_now
from alerts.desk import AlertDesk
from alerts.kinds import KIND_NAMES, SEVERITIES, STATUSES
from alerts.notice import customer_notice
from alerts.store import InvalidTransition, UnknownException, exception_json
from alerts.webhooks import MIN_SECRET_LENGTH, InvalidSubscription
from decisions.actions import ActionPlanner
from serving.auth import Caller
from serving.confirmed_orders import event_lines, scored_now
from serving.errors import error_response
from serving.order_log import last_scored_lines
from serving.roles import RequireRole
from serving.runtime import Runtime
from serving.schemas import ID_PATTERN
from serving.substitutes import substitute_offers
from settings.sections import AlertsSettings

router = APIRouter(tags=["planner"])
Planner = Annotated[Runtime, Depends(RequireRole("planner"))]
PlannerOrAdmin = Annotated[Runtime, Depends(RequireRole("planner", "admin"))]
Kind = Literal[KIND_NAMES]  # type: ignore[valid-type]
Severity = Literal[SEVERITIES]  # type: ignore[valid-type]
Status = Literal[STATUSES]  # type: ignore[valid-type]
EXCEPTION_FILTERS = {"status", "kind", "severity", "location", "supplier", "limit"}
URL_PATTERN = r"^https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?(/\S*)?$"
HexId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]+$")]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048, pattern=URL_PATTERN,
                     description="http(s) URL the exceptions are POSTed to.")
    secret: str = Field(min_length=MIN_SECRET_LENGTH, max_length=256,
                        description="Key of the HMAC-SHA256 signature in X-Backorder-Signature.")
    kinds: list[Kind] | None = Field(None, description="Exception kinds to receive; all when absent.")
    min_severity: Severity | None = Field(None, description="Least severity to receive; all when absent.")
    locations: list[str] | None = Field(None, description="Locations to receive; all when absent.")


class WebhookOut(BaseModel):
    id: str
    url: str
    kinds: list[str] | None
    min_severity: str | None
    locations: list[str] | None
    created_at: str


class WebhooksOut(BaseModel):
    webhooks: list[WebhookOut]


class ExceptionOut(BaseModel):
    id: str
    kind: str
    status: str
    severity: str
    expected_cost: float
    reason_codes: list[str]
    summary: str
    action: str
    expected_effect: str
    dedup_key: str
    sku_id: str | None
    location_id: str | None
    supplier_id: str | None
    po_id: str | None
    order_id: str | None
    line_id: str | None
    details: dict[str, Any]
    detections: int
    opened_at: str
    updated_at: str
    last_seen_at: str
    acknowledged_at: str | None
    acknowledged_by: str | None
    resolved_at: str | None
    resolved_by: str | None
    expired_at: str | None
    comment: str | None


class ExceptionsOut(BaseModel):
    exceptions: list[ExceptionOut]


class SubstituteOut(BaseModel):
    sku_id: str
    priority: int = Field(description="Preference among the line's substitutes (1 = offered first).")
    available: int = Field(description="Units on hand and not reserved at the line's location now.")
    covers_line: bool = Field(description="Whether the available units cover the line's whole quantity.")


class LineNoticeOut(BaseModel):
    line_id: str
    sku_id: str
    promise_date: date | None
    delay_days: int | None
    backorder_probability: float = Field(description="0 for a line shipped in full.")
    substitutes: list[SubstituteOut] = Field(
        description="For a late, unconfirmed or at-risk open line: substitutes with stock, by priority.")
    shipped: bool = Field(description="Shipped in full: promise_date is the day it shipped, delay_days 0.")


class NoticeOut(BaseModel):
    order_id: str
    source: Literal["last_scoring", "live_state"] = Field(
        description="last_scoring: the order as last scored; live_state: its lines as events left them, scored now.")
    status: Literal["on_time", "delayed", "unconfirmed", "shipped"]
    promise_date: date | None = Field(description="The date the order ships complete; null when unconfirmed.")
    requested_date: date | None
    delay_days: int | None = Field(description="Days the promise date passes the requested date.")
    confidence: float = Field(description="Level promise dates are set at (each PO on time at least this likely).")
    message: str = Field(description="Ready to send to the customer.")
    lines: list[LineNoticeOut]


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(None, max_length=2000, description="What was done or decided.")


def _desk(runtime: Runtime) -> AlertDesk | JSONResponse:
    if runtime.alerts is None:
        return error_response(503, "alerts unavailable", [("alerts", "the alert database is not open; see the log")])
    return runtime.alerts


def key_name(caller: Caller) -> str:
    """An API key without the key: ``key:<name>`` of a named (hashed) key, else ``key:`` and the
    first 12 hex digits of its SHA-256 (``Caller.label``)."""
    return caller.label


def _who(request: Request, runtime: Runtime) -> str:
    return key_name(runtime.keyring.check(request.headers.get("authorization"), "planner"))


@router.post("/v1/webhooks", response_model=WebhookOut, status_code=201)
def add_webhook(body: WebhookIn, runtime: PlannerOrAdmin) -> Any:
    """Subscribe a URL to exception events (signed with its secret, which is never answered)."""
    desk = _desk(runtime)
    if isinstance(desk, JSONResponse):
        return desk
    try:
        made = desk.subscriptions.add(body.url, body.secret, utc_now(), body.kinds, body.min_severity, body.locations)
    except InvalidSubscription as exc:
        return error_response(422, "invalid request", [(exc.field, exc.problem)])
    return JSONResponse(made, status_code=201)


@router.get("/v1/webhooks", response_model=WebhooksOut)
def list_webhooks(runtime: PlannerOrAdmin) -> Any:
    """Every webhook subscription, without secrets."""
    desk = _desk(runtime)
    return desk if isinstance(desk, JSONResponse) else {"webhooks": desk.subscriptions.all()}


@router.delete("/v1/webhooks/{webhook_id}", status_code=204, response_class=Response)
def delete_webhook(webhook_id: HexId, runtime: PlannerOrAdmin) -> Response:
    """Remove a subscription and its deliveries not yet sent."""
    desk = _desk(runtime)
    if isinstance(desk, JSONResponse):
        return desk
    if not desk.subscriptions.delete(webhook_id):
        return error_response(404, "unknown webhook", [("webhook_id", f"no webhook {webhook_id!r}")])
    return Response(status_code=204)


@router.get("/v1/exceptions", response_model=ExceptionsOut)
def list_exceptions(
    request: Request,
    runtime: Planner,
    status: Status | None = None,
    kind: Kind | None = None,
    severity: Severity | None = None,
    location: Annotated[str | None, Query(max_length=64)] = None,
    supplier: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> Any:
    """Exceptions matching every filter given, highest expected cost first."""
    unknown = sorted(set(request.query_params) - EXCEPTION_FILTERS)
    if unknown:
        return error_response(422, "invalid request", [(f"query.{n}", "unknown filter") for n in unknown])
    desk = _desk(runtime)
    if isinstance(desk, JSONResponse):
        return desk
    found = desk.store.find(status, kind, severity, location, supplier, limit)
    return {"exceptions": [exception_json(e) for e in found]}


@router.post("/v1/exceptions/{exception_id}/acknowledge", response_model=ExceptionOut)
def acknowledge_exception(exception_id: HexId, body: CommentIn, request: Request, runtime: Planner) -> Any:
    """open -> acknowledged, by the calling key, with a comment."""
    return _move(runtime, request, exception_id, body, "acknowledge")


@router.post("/v1/exceptions/{exception_id}/resolve", response_model=ExceptionOut)
def resolve_exception(exception_id: HexId, body: CommentIn, request: Request, runtime: Planner) -> Any:
    """open or acknowledged -> resolved, by the calling key, with a comment."""
    return _move(runtime, request, exception_id, body, "resolve")


def _move(runtime: Runtime, request: Request, exception_id: str, body: CommentIn, move: str) -> Any:
    desk = _desk(runtime)
    if isinstance(desk, JSONResponse):
        return desk
    try:
        moved = getattr(desk, move)(exception_id, _who(request, runtime), body.comment, utc_now())
    except UnknownException as exc:
        return error_response(404, "unknown exception", [("exception_id", str(exc))])
    except InvalidTransition as exc:
        return error_response(409, "invalid transition", [("status", str(exc))])
    return exception_json(moved)


@router.get("/v1/orders/{order_id}/notice", response_model=NoticeOut, tags=["oms"])
def order_notice(
    order_id: Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)],
    runtime: Annotated[Runtime, Depends(RequireRole("oms"))],
) -> Any:
    """The customer notice of an order scored by the service or confirmed through events: promise
    date, delay, substitutes with stock for late or at-risk lines, ready message.

    Once an event confirmed, shipped or cancelled a line of the order, its lines are read from the
    live state and scored now (``serving.confirmed_orders``); otherwise the notice is that of its
    latest scoring."""
    scored = last_scored_lines(runtime.log.path.parent, order_id)
    live = runtime.components.live
    confirmed = event_lines(live.order_lines(order_id)) if live is not None else None
    if confirmed is None and scored is None:
        problem = f"no order {order_id!r}: the service never scored it and no event confirmed it"
        return error_response(404, "unknown order", [("order_id", problem)])
    if confirmed is not None and confirmed.empty:
        return error_response(404, "unknown order", [("order_id", f"every line of order {order_id!r} was cancelled")])
    if confirmed is None:
        lines, source = scored, "last_scoring"
    else:
        tier = None if scored is None else scored["customer_tier"].iloc[0]
        lines, source = scored_now(runtime, order_id, confirmed, tier), "live_state"
    decide = runtime.scorer.decide if runtime.scorer is not None else None
    confidence = decide.confidence if isinstance(decide, ActionPlanner) else ActionPlanner.confidence
    substitutes, supply = runtime.components.substitutes, runtime.components.supply
    offers = None if substitutes is None or supply is None else substitute_offers(substitutes, supply, lines)
    at_risk = (runtime.alerts.cfg if runtime.alerts is not None else AlertsSettings()).line_risk
    return {**asdict(customer_notice(order_id, lines, confidence, offers, at_risk)), "source": source}
