"""Check one event against its declaration (``contracts.events``) and normalize it.

Validation is strict, since events come from programs, not spreadsheets: an ``int`` field takes a
JSON integer (not ``true``, not ``"40"``, not ``40.5``), a ``string`` field takes non-blank text,
a ``date`` an ISO date (``2026-03-01``), a ``datetime`` an ISO date-time (a time zone is converted
to UTC). Ranges and allowed values are the ``ColumnSpec`` rules of the declaration. Every problem
is reported with the field it concerns, so a sender can fix the event from the message alone.

A normalized event holds only declared fields, dates as ``YYYY-MM-DD`` text and date-times as
naive UTC ``YYYY-MM-DDTHH:MM:SS[.ffffff]`` text, so it can be stored and compared as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from contracts.events import ENVELOPE, EVENT_TYPES
from contracts.tables import ColumnSpec

NormalizedEvent = dict[str, Any]


def validate_event(raw: Any) -> tuple[NormalizedEvent | None, list[str]]:
    """The normalized event and no errors, or None and every error found (field: problem)."""
    if not isinstance(raw, Mapping):
        return None, [f"event: expected an object, got {type(raw).__name__}"]
    errors: list[str] = []
    event: NormalizedEvent = {}
    for spec in ENVELOPE:
        _check_field(spec, raw, event, errors)
    contract = EVENT_TYPES.get(raw.get("type")) if isinstance(raw.get("type"), str) else None
    if "type" in event and contract is None:
        errors.append(f"type: unknown event type {raw['type']!r} (known: {', '.join(EVENT_TYPES)})")
    if contract is not None:
        for spec in contract.fields:
            _check_field(spec, raw, event, errors)
        declared = {s.name for s in ENVELOPE} | set(contract.field_names)
        errors.extend(f"{name}: not a field of {contract.type}" for name in raw if name not in declared)
    return (None, errors) if errors else (event, [])


def _check_field(spec: ColumnSpec, raw: Mapping, event: NormalizedEvent, errors: list[str]) -> None:
    value = raw.get(spec.name)
    if value is None:
        if spec.nullable:
            event[spec.name] = None
        else:
            errors.append(f"{spec.name}: missing")
        return
    normalized, problem = _normalize(spec, value)
    problem = problem or _rule_problem(spec, normalized)
    if problem:
        errors.append(f"{spec.name}: {problem}")
    else:
        event[spec.name] = normalized


def _normalize(spec: ColumnSpec, value: Any) -> tuple[Any, str | None]:
    """The value in its normalized form, or a description of why it is not of the field's kind."""
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    if spec.kind == "string":
        if not isinstance(value, str) or not value.strip():
            return None, f"expected non-blank text, got {shown}"
        return value.strip(), None
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return None, f"expected a whole number, got {shown}"
        return value, None
    if spec.kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, f"expected a number, got {shown}"
        return float(value), None
    if spec.kind == "bool":
        if not isinstance(value, bool):
            return None, f"expected true or false, got {shown}"
        return value, None
    if spec.kind == "date":
        return _iso_date(value, shown)
    return _iso_datetime(value, shown)


def _iso_date(value: Any, shown: str) -> tuple[str | None, str | None]:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat(), None
    try:
        return date.fromisoformat(value).isoformat(), None
    except (TypeError, ValueError):
        return None, f"expected an ISO date (YYYY-MM-DD), got {shown}"


def _iso_datetime(value: Any, shown: str) -> tuple[str | None, str | None]:
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None, f"expected an ISO date-time (YYYY-MM-DDTHH:MM:SS, UTC), got {shown}"
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(), None


def _rule_problem(spec: ColumnSpec, value: Any) -> str | None:
    """The declared range or allowed set a value breaks (the rules of the canonical tables)."""
    if spec.ge is not None and value < spec.ge:
        return f"must be >= {spec.ge:g}, got {value!r}"
    if spec.gt is not None and value <= spec.gt:
        return f"must be > {spec.gt:g}, got {value!r}"
    if spec.le is not None and value > spec.le:
        return f"must be <= {spec.le:g}, got {value!r}"
    if spec.allowed is not None and value not in spec.allowed:
        return f"must be one of {list(spec.allowed)}, got {value!r}"
    return None
