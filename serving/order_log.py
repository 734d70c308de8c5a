"""An order's lines as last scored, read from the prediction log (for its customer notice).

The log indexes ``order_id``, so the lookup does not scan the log.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd

from serving.prediction_log import FILE_NAME, LineDecoder


def last_scored_lines(directory: Path, order_id: str) -> pd.DataFrame | None:
    """line_id, sku_id, location_id, quantity, requested_date, customer_tier, promise_date,
    backorder_probability of the order's latest scoring request; None when the service never
    scored the order."""
    path = directory / FILE_NAME
    if not path.exists():
        return None
    query = (
        "SELECT line_id, sku_id, location_id, inputs, features, outputs, payload FROM predictions "
        "WHERE order_id = ?1 AND request_id = "
        "(SELECT request_id FROM predictions WHERE rowid = (SELECT max(rowid) FROM predictions WHERE order_id = ?1)) "
        "ORDER BY rowid"
    )
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(query, (order_id,)).fetchall()
        decode = LineDecoder(conn) if rows else None
    finally:
        conn.close()
    if decode is None:
        return None
    lines = [decode(*r[3:]) for r in rows]
    inputs = [line[0] for line in lines]
    outputs = [line[2] for line in lines]
    return pd.DataFrame({
        "line_id": [r[0] for r in rows],
        "sku_id": [r[1] for r in rows],
        "location_id": [r[2] for r in rows],
        "quantity": [i.get("quantity") for i in inputs],
        "requested_date": [i.get("requested_date") for i in inputs],
        "customer_tier": [i.get("customer_tier") for i in inputs],
        "promise_date": [o.get("promise_date") for o in outputs],
        "backorder_probability": [o["backorder_probability"] for o in outputs],
    })
