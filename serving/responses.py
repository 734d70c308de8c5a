"""Turning a scored frame into API answers and prediction-log rows (one place, so they agree)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd

from serving.schemas import Action, LineScore, Reason, ScoreOut

INPUT_FIELDS = ["customer_id", "customer_tier", "quantity", "requested_date"]


LINE_FIELDS = [
    "line_id", "sku_id", "location_id", "backorder_probability", "risk_level", "promise_date", "reasons",
    "action", "source_location_id", "po_id", "action_quantity", "expected_units_saved", "expected_effect",
]


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """Rows as dicts of the named columns (``DataFrame.to_dict`` costs more on a request's rows)."""
    values = [frame[c].tolist() for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def line_scores(scored: pd.DataFrame) -> list[LineScore]:
    records = _records(scored, LINE_FIELDS)
    return [
        LineScore(
            line_id=r["line_id"],
            sku_id=r["sku_id"],
            location_id=r["location_id"],
            backorder_probability=float(r["backorder_probability"]),
            risk_level=r["risk_level"],
            promise_date=None if pd.isna(r["promise_date"]) else r["promise_date"].date(),
            reasons=[Reason(**reason) for reason in r["reasons"]],
            action=Action(
                action=r["action"],
                source_location_id=r["source_location_id"],
                po_id=r["po_id"],
                quantity=float(r["action_quantity"]),
                expected_units_saved=float(r["expected_units_saved"]),
                expected_effect=r["expected_effect"],
            ),
        )
        for r in records
    ]


def score_outs(
    scored: pd.DataFrame,
    request_id: str,
    model_version: str,
    lines: list[LineScore] | None = None,
) -> list[ScoreOut]:
    """One ScoreOut per order, orders and lines in request order (``lines``: already built)."""
    lines = line_scores(scored) if lines is None else lines
    order_ids = scored["order_id"].to_numpy()
    outs: dict[str, list] = {}
    for order_id, line in zip(order_ids, lines, strict=True):
        outs.setdefault(order_id, []).append(line)
    return [
        ScoreOut(request_id=request_id, order_id=o, model_version=model_version, lines=ls)
        for o, ls in outs.items()
    ]


def log_rows(scored: pd.DataFrame, lines: list[LineScore], request_id: str, model_version: str):
    """Prediction-log rows: inputs, features used, outputs, model version, request id."""
    now = datetime.now(UTC).isoformat()
    inputs = scored[INPUT_FIELDS].assign(
        requested_date=scored["requested_date"].dt.strftime("%Y-%m-%d")
    )
    rows: list[dict[str, Any]] = []
    keys = scored[["order_id", "line_id", "sku_id", "location_id", "features"]].to_numpy(object)
    for (order_id, line_id, sku_id, location_id, features), inp, line in zip(
        keys, _records(inputs, INPUT_FIELDS), lines, strict=True
    ):
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
                "outputs": line.model_dump(
                    mode="json", exclude={"line_id", "sku_id", "location_id"}
                ),
            }
        )
    return rows
