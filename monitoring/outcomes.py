"""Outcomes arrive after the prediction: join them to logged lines once they are known.

The label is the training label (``features.labels.order_line_labels``: backordered, or shipped
after the requested date); a line whose outcome is still open is left out, never counted as on time.
"""

from __future__ import annotations

import pandas as pd

from features.labels import order_line_labels
from monitoring.prediction_window import LINE_KEYS

OUTCOME_COLUMNS = ("order_id", "line_id", "requested_date", "shipped_date", "backordered_quantity")


def outcomes_as_of(order_lines: pd.DataFrame) -> pd.Timestamp:
    """The last day the outcome data covers: its latest shipment."""
    shipped = pd.to_datetime(order_lines["shipped_date"])
    if shipped.isna().all():
        raise ValueError("order_lines: no shipped_date at all, cannot tell how far outcomes reach")
    return shipped.max()


def line_outcomes(order_lines: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """``order_id, line_id, label`` of every line whose outcome is known on ``as_of``."""
    missing = [c for c in OUTCOME_COLUMNS if c not in order_lines.columns]
    if missing:
        raise ValueError(f"order_lines: missing column(s) {missing}")
    labels = order_line_labels(order_lines, pd.Timestamp(as_of))
    known = labels["label_complete"].to_numpy(bool)
    return order_lines.loc[known, LINE_KEYS].assign(label=labels.loc[known, "label"].to_numpy())


def join_outcomes(predictions: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Logged lines whose outcome has arrived, with a ``label`` column."""
    return predictions.merge(outcomes, on=LINE_KEYS, how="inner", validate="one_to_one")
