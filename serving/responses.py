"""Turning scored lines into API answers and prediction-log rows (one place, so they agree).

``scored`` is ``Scorer.score``'s result: columns as arrays or lists, aligned with the lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
from pydantic import TypeAdapter

from serving.schemas import MAX_LINES, BatchOut, LineScore, ScoreOut

INPUT_FIELDS = ["customer_id", "customer_tier", "quantity", "requested_date"]


# One validation / serialization call for all of a request's lines (Rust-side), instead of a
# pydantic model built or dumped per line and per nested reason and action.
_LINES = TypeAdapter(list[LineScore])
_KEYS = ("line_id", "sku_id", "location_id")
# A line's answer: these columns as they are, and the action's fields (answer name: column).
_LINE_KEYS = ["line_id", "sku_id", "location_id", "backorder_probability", "risk_level", "promise_date", "reasons"]
_ACTION_KEYS = {
    "action": "action", "source_location_id": "source_location_id", "po_id": "po_id",
    "quantity": "action_quantity", "expected_units_saved": "expected_units_saved", "expected_effect": "expected_effect",
}
LINE_FIELDS = [*_LINE_KEYS, *_ACTION_KEYS.values()]  # the scored columns an answer reads


def _records(scored: Mapping[str, Any], columns: list[str]) -> list[dict[str, Any]]:
    """Rows as dicts of the named columns."""
    values = [_list(scored[c]) for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _list(values: np.ndarray | list) -> list:
    """Python values of a column (NumPy scalars become int / float / str)."""
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


# Lines per pydantic call when building or serializing an answer: at most one order's lines.
CHUNK_LINES = MAX_LINES


def _days(values: np.ndarray) -> list[str | None]:
    """Timestamps as ISO dates, NaT as None."""
    text = np.datetime_as_string(np.asarray(values, dtype="datetime64[D]"), unit="D")
    return [None if t == "NaT" else t for t in text.tolist()]


def line_scores(scored: Mapping[str, Any]) -> list[LineScore]:
    """The answer's lines, validated against ``LineScore`` an order's worth of lines per call
    (``CHUNK_LINES``): one pydantic call holds the GIL throughout, so a batch's 20,000 lines in one
    call would stall every other request of the worker, the event loop's too, for seconds."""
    column = {c: _list(scored[c]) for c in LINE_FIELDS if c != "promise_date"}
    column["promise_date"] = _days(scored["promise_date"])
    records = _records(column, _LINE_KEYS)
    actions = zip(*(column[source] for source in _ACTION_KEYS.values()), strict=True)
    for record, action in zip(records, actions, strict=True):
        record["action"] = dict(zip(_ACTION_KEYS, action, strict=True))
    if "reserved_quantity" in scored:  # the request asked to reserve (serving.reserving)
        for record, units in zip(records, _list(scored["reserved_quantity"]), strict=True):
            record["reserved_quantity"] = units
    return [line for start in range(0, len(records), CHUNK_LINES)
            for line in _LINES.validate_python(records[start : start + CHUNK_LINES])]


def batch_json(request_id: str, model_version: str, outs: list[ScoreOut]) -> str:
    """``BatchOut(...).model_dump_json()``, serialized one order per call (see ``line_scores``)."""
    empty = BatchOut(request_id=request_id, model_version=model_version, orders=[]).model_dump_json()
    head = empty.removesuffix("[]}")  # ``orders`` is BatchOut's last field
    return head + "[" + ",".join(out.model_dump_json() for out in outs) + "]}"


def score_outs(
    scored: Mapping[str, Any],
    request_id: str,
    model_version: str,
    lines: list[LineScore] | None = None,
) -> list[ScoreOut]:
    """One ScoreOut per order, orders and lines in request order (``lines``: already built)."""
    lines = line_scores(scored) if lines is None else lines
    order_ids = _list(scored["order_id"])
    outs: dict[str, list] = {}
    for order_id, line in zip(order_ids, lines, strict=True):
        outs.setdefault(order_id, []).append(line)
    return [
        ScoreOut(request_id=request_id, order_id=o, model_version=model_version, lines=ls)
        for o, ls in outs.items()
    ]


def log_rows(scored: Mapping[str, Any], lines: list[LineScore], request_id: str, model_version: str):
    """Prediction-log rows: inputs, features used, outputs, model version, request id."""
    now = datetime.now(UTC).isoformat()
    inputs = _records(scored, INPUT_FIELDS)
    for inp, day in zip(inputs, _days(scored["requested_date"]), strict=True):
        inp["requested_date"] = day
    outputs = _LINES.dump_python(lines, mode="json")
    rows: list[dict[str, Any]] = []
    keys = zip(*(_list(scored[c]) for c in ("order_id", "line_id", "sku_id", "location_id", "features")), strict=True)
    for (order_id, line_id, sku_id, location_id, features), inp, out in zip(keys, inputs, outputs, strict=True):
        for key in _KEYS:
            del out[key]
        rows.append(
            {
                "request_id": request_id,
                "logged_at": now,
                "model_version": model_version,
                "order_id": order_id,
                "line_id": line_id,
                "sku_id": sku_id,
                "location_id": location_id,
                "inputs": inp,
                "features": features,
                "outputs": out,
            }
        )
    return rows
