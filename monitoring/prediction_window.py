"""The prediction log as a flat table: one row per scored line, features and score as columns.

The log stores features and outputs as JSON per line (so a new model needs no schema change);
drift and performance need them as columns. A line scored more than once (a re-quote) counts
once, with its latest score: the one the customer was answered with last.
"""

from __future__ import annotations

import pandas as pd

PREDICTION_COLUMN = "backorder_probability"
LINE_KEYS = ["order_id", "line_id"]
_META = ["request_id", "logged_at", "model_version", "order_id", "line_id", "sku_id", "location_id"]


def logged_lines(log: pd.DataFrame) -> pd.DataFrame:
    """Flatten ``serving.prediction_log.read_prediction_log`` output; latest score per line."""
    missing = [c for c in [*_META, "features", "outputs"] if c not in log.columns]
    if missing:
        raise ValueError(f"prediction log: missing column(s) {missing}")
    if log.empty:
        raise ValueError("prediction log is empty: nothing has been scored yet")
    features = pd.DataFrame.from_records(log["features"].tolist(), index=log.index).astype("float64")
    outputs = pd.DataFrame.from_records(log["outputs"].tolist(), index=log.index)
    if PREDICTION_COLUMN not in outputs:
        raise ValueError(f"prediction log outputs: no {PREDICTION_COLUMN!r} field")
    frame = pd.concat(
        [log[_META], features, outputs[[PREDICTION_COLUMN]].astype("float64")], axis=1
    )
    frame = frame.sort_values("logged_at", kind="stable")
    return frame.drop_duplicates(LINE_KEYS, keep="last").reset_index(drop=True)


def current_window(lines: pd.DataFrame, days: int, end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Lines logged in the ``days`` days up to ``end`` (default: the newest logged line)."""
    if days < 1:
        raise ValueError(f"window days must be at least 1, got {days}")
    end = lines["logged_at"].max() if end is None else end
    start = end - pd.Timedelta(days=days)
    return lines[(lines["logged_at"] > start) & (lines["logged_at"] <= end)].reset_index(drop=True)
