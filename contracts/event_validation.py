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

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from contracts.events import ENVELOPE, EVENT_TYPES
from contracts.table_spec import ColumnSpec

NormalizedEvent = dict[str, Any]
_DECLARED = {c.type: frozenset(s.name for s in (*ENVELOPE, *c.fields)) for c in EVENT_TYPES.values()}


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
        declared = _DECLARED[contract.type]
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
    normalized, problem = _NORMALIZE[spec.kind](value)
    problem = problem or _rule_problem(spec, normalized)
    if problem:
        errors.append(f"{spec.name}: {problem}")
    else:
        event[spec.name] = normalized


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _text(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str) or not value.strip():
        return None, f"expected non-blank text, got {_shown(value)}"
    return value.strip(), None


def _whole_number(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool) or not isinstance(value, int):
        return None, f"expected a whole number, got {_shown(value)}"
    return value, None


def _number(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, f"expected a number, got {_shown(value)}"
    return float(value), None


def _yes_no(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, bool):
        return None, f"expected true or false, got {_shown(value)}"
    return value, None


def _iso_date(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat(), None
    try:
        return date.fromisoformat(value).isoformat(), None
    except (TypeError, ValueError):
        return None, f"expected an ISO date (YYYY-MM-DD), got {_shown(value)}"


def _iso_datetime(value: Any) -> tuple[str | None, str | None]:
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None, f"expected an ISO date-time (YYYY-MM-DDTHH:MM:SS, UTC), got {_shown(value)}"
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(), None


_NORMALIZE: dict[str, Callable[[Any], tuple[Any, str | None]]] = {
    "string": _text,
    "int": _whole_number,
    "float": _number,
    "bool": _yes_no,
    "date": _iso_date,
    "datetime": _iso_datetime,
}
"""Per column kind: the value in its normalized form, or why it is not of that kind."""


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
