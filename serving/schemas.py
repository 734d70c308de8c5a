"""Request and response bodies of the HTTP API, as pydantic models (they generate the OpenAPI spec).

Field constraints live here so that malformed input (negative quantity, unparseable date, too many
lines, unknown tier, a repeated id) is rejected with a 422 naming the field before any model runs.
Types are strict: JSON gives numbers as numbers and dates as ISO strings, so ``true``, ``"40"`` or
``0`` are refused rather than read as 1, 40 or 1970-01-01, and NaN or Infinity are not numbers a
line can order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from contracts.events import ENVELOPE, EVENTS
from contracts.table_spec import ColumnSpec

MAX_LINES = 200
MAX_ORDERS = 100
MAX_EVENTS = 1_000
DATE_RANGE = (dt.date(1970, 1, 1), dt.date(2199, 12, 31))
ID_PATTERN = r"^[A-Za-z0-9_.:\-]+$"
Identifier = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
Tier = Literal["gold", "silver", "bronze"]
ActionName = Literal["allocate", "reallocate", "expedite", "split", "none"]
RiskLevel = Literal["low", "medium", "high"]


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_text(value: object) -> object:
    """Only a ``YYYY-MM-DD`` string is a date (not a number of seconds, nor a date-time)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value  # built in Python, not parsed from JSON
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise PydanticCustomError("iso_date", "Input should be an ISO date string (YYYY-MM-DD)")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_text)]


def _json_integer(value: object) -> object:
    """A JSON number with no fraction (``7`` or ``7.0``, as JSON Schema's integer); not ``true``, not ``"7"``."""
    if isinstance(value, bool | str | bytes):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


JsonInteger = Annotated[int, BeforeValidator(_json_integer)]


def _unique(ids: Sequence[str], name: str, items: str) -> None:
    """A 422 naming every id given more than once and where (``items``: the list's field)."""
    positions: dict[str, list[int]] = {}
    for i, value in enumerate(ids):
        positions.setdefault(value, []).append(i)
    repeated = {v: p for v, p in positions.items() if len(p) > 1}
    if repeated:
        where = "; ".join(f"{v!r} at {items} {', '.join(map(str, p))}" for v, p in repeated.items())
        context = {"name": name, "where": where}
        raise PydanticCustomError("duplicate_id", "{name} must be unique; repeated: {where}", context)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderLineIn(_Strict):
    line_id: str = Identifier
    sku_id: str = Identifier
    location_id: str = Identifier
    quantity: float = Field(
        gt=0, le=1_000_000, strict=True, allow_inf_nan=False, description="Units ordered (> 0), a JSON number."
    )
    requested_date: IsoDate = Field(
        description=f"ISO date (YYYY-MM-DD) the customer wants the goods ({DATE_RANGE[0]} to {DATE_RANGE[1]})."
    )

    @field_validator("requested_date")
    @classmethod
    def _plausible(cls, value: dt.date) -> dt.date:
        if not DATE_RANGE[0] <= value <= DATE_RANGE[1]:
            raise ValueError(f"must be between {DATE_RANGE[0]} and {DATE_RANGE[1]}")
        return value


class OrderIn(_Strict):
    order_id: str = Identifier
    customer_id: str = Identifier
    customer_tier: Tier
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES, description="Unique line_ids.")
    reserve: bool = Field(
        False,
        strict=True,
        description="True: reserve, in the live state, the units each line takes from its location's "
        "free stock (`reserved_quantity`), so the next order no longer sees them.",
    )

    @field_validator("lines")
    @classmethod
    def _unique_line_ids(cls, lines: list[OrderLineIn]) -> list[OrderLineIn]:
        _unique([line.line_id for line in lines], "line_id", "lines")
        return lines


class BatchIn(_Strict):
    orders: list[OrderIn] = Field(min_length=1, max_length=MAX_ORDERS, description="Unique order_ids.")

    @field_validator("orders")
    @classmethod
    def _unique_order_ids(cls, orders: list[OrderIn]) -> list[OrderIn]:
        _unique([order.order_id for order in orders], "order_id", "orders")
        return orders


class Reason(BaseModel):
    feature: str
    value: float | None
    contribution: float = Field(description="Push towards backorder (log-odds); > 0 raises risk.")


class Action(BaseModel):
    action: ActionName
    source_location_id: str | None = Field(None, description="Reallocate: where units come from.")
    po_id: str | None = Field(None, description="Expedite: the PO to pull in.")
    quantity: float = Field(description="Units the action moves, allocates or expedites.")
    expected_units_saved: float = Field(description="Units that will not go on backorder.")
    expected_effect: str


class LineScore(BaseModel):
    line_id: str
    sku_id: str
    location_id: str
    backorder_probability: float = Field(ge=0, le=1)
    risk_level: RiskLevel
    promise_date: dt.date | None = Field(description="None when stock and open POs cannot cover.")
    reasons: list[Reason]
    action: Action
    reserved_quantity: float | None = Field(
        None, description="Units reserved for the line (`reserve: true`); null when not asked to reserve."
    )


class ScoreOut(BaseModel):
    request_id: str
    order_id: str
    model_version: str
    lines: list[LineScore]


class BatchOut(BaseModel):
    request_id: str
    model_version: str
    orders: list[ScoreOut]


class Recommendation(BaseModel):
    order_id: str
    line_id: str
    sku_id: str
    location_id: str
    backorder_probability: float
    action: Action


class RecommendationsOut(BaseModel):
    request_id: str
    model_version: str
    recommendations: list[Recommendation] = Field(
        description="Lines that need an action, most expected units saved first."
    )


class ForecastIn(_Strict):
    sku_id: str = Identifier
    location_id: str = Identifier
    horizon_days: JsonInteger = Field(
        7, ge=1, le=365, description="Days ahead, a JSON integer; at most the demand model's horizon."
    )


class ForecastPoint(BaseModel):
    ds: dt.date
    p10: float
    p50: float
    p90: float


class ForecastOut(BaseModel):
    request_id: str
    sku_id: str
    location_id: str
    model_version: str
    points: list[ForecastPoint]


class EtaOut(BaseModel):
    request_id: str
    po_id: str
    sku_id: str
    location_id: str
    promised_date: dt.date
    eta_p50: dt.date
    eta_p90: dt.date
    model_version: str


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending field, e.g. lines.0.quantity.")
    problem: str


class ErrorOut(BaseModel):
    error: str
    detail: list[FieldError] = Field(default_factory=list)


class ModelStatus(BaseModel):
    name: str
    version: str
    source: Literal["registry", "cache", "provided"]


class StatusOut(BaseModel):
    ready: bool
    models: list[ModelStatus]
    feature_store: Literal["connected", "unavailable"]
    notes: list[str]


_JSON_TYPES = {
    "string": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
}


def _field_schema(spec: ColumnSpec) -> dict[str, Any]:
    schema: dict[str, Any] = {**_JSON_TYPES[spec.kind], "description": spec.description}
    for bound, key in ((spec.gt, "exclusiveMinimum"), (spec.ge, "minimum"), (spec.le, "maximum")):
        if bound is not None:
            schema[key] = bound
    if spec.nullable:
        schema = {"anyOf": [schema, {"type": "null"}], "description": spec.description}
    return schema


def event_json_schema() -> dict[str, Any]:
    """One JSON Schema per event type of ``contracts.events.EVENTS`` (the envelope plus its fields)."""
    variants = []
    for event in EVENTS:
        fields = (*ENVELOPE, *event.fields)
        properties = {f.name: _field_schema(f) for f in fields}
        properties["type"] = {"const": event.type, "description": "Event type."}
        variants.append(
            {
                "title": event.type,
                "description": event.description,
                "type": "object",
                "properties": properties,
                "required": [f.name for f in fields if not f.nullable],
                "additionalProperties": False,
            }
        )
    return {"oneOf": variants}


# Each event is validated on its own (``live.LiveState.apply``): a bad one is rejected with its
# reasons while the others apply, so the body takes any JSON values and documents the event types.
EventIn = Annotated[Any, WithJsonSchema(event_json_schema())]


class EventsIn(_Strict):
    events: list[EventIn] = Field(
        min_length=1,
        max_length=MAX_EVENTS,
        description="Events in the order they happened; each is applied once by its event_id.",
    )


class RejectedEvent(BaseModel):
    index: int = Field(description="Position of the event in `events`.")
    event_id: str | None
    errors: list[str]


class EventsOut(BaseModel):
    accepted: int = Field(description="Events applied now.")
    duplicates: int = Field(description="Events whose event_id was applied before (nothing changed).")
    rejected: list[RejectedEvent]


class OpenPoOut(BaseModel):
    po_id: str
    supplier_id: str
    quantity: int = Field(description="Units still expected.")
    promised_date: dt.date
    eta: dt.date | None = Field(description="The latest advance shipping notice's date; null without one.")


class StockOut(BaseModel):
    sku_id: str
    location_id: str
    on_hand: int
    reserved: int = Field(description="Units reserved by confirmed order lines and reserving scores.")
    available: int = Field(description="on_hand - reserved, at least 0: what a new line can take.")
    in_transit: int = Field(description="Units on transfers to this location.")
    open_pos: list[OpenPoOut]
    as_of: dt.datetime | None = Field(description="When the last event applied to it happened (UTC).")
