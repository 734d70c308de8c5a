"""The one shape every recommendation takes, so a planner can accept or reject it on its merits.

Each decision function returns its own detail columns (dates, lanes, PO ids) plus the common
columns below. ``combine_recommendations`` stacks the common part of several decisions into one
list ranked by net benefit, the planner report's and the service's view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ACTIONS = ("promise", "allocate", "transfer", "expedite", "emergency_order", "replenish")

RECOMMENDATION_COLUMNS: dict[str, str] = {
    "action": "One of ACTIONS.",
    "sku_id": "SKU concerned.",
    "location_id": "Location whose service the action protects (the receiving side).",
    "subject": "What it applies to: an order line, a PO line, a source location, a supplier.",
    "quantity": "Units moved, allocated, expedited or ordered.",
    "expected_units_saved": "Expected units that will not go on backorder thanks to the action.",
    "expected_cost_avoided": "expected_units_saved times the backorder penalty per unit.",
    "cost": "Out-of-pocket cost of the action (transfer, expedite premium, order cost).",
    "net_benefit": "expected_cost_avoided - cost.",
    "reason": "Readable explanation: why, expected effect and cost.",
}


@dataclass(frozen=True)
class Recommendation:
    """One recommendation as a record (what the service returns for a single line)."""

    action: str
    sku_id: str
    location_id: str
    subject: str
    quantity: float
    expected_units_saved: float
    expected_cost_avoided: float
    cost: float
    net_benefit: float
    reason: str


def add_recommendation_columns(
    detail: pd.DataFrame,
    *,
    action: str,
    subject: pd.Series | str,
    quantity: np.ndarray | pd.Series,
    expected_units_saved: np.ndarray | pd.Series,
    unit_penalty: np.ndarray | pd.Series | float,
    cost: np.ndarray | pd.Series | float,
    reason: pd.Series,
) -> pd.DataFrame:
    """Return ``detail`` with the common columns filled in (it has sku_id and location_id)."""
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {ACTIONS}, got {action!r}")
    out = detail.copy()
    n = len(out)
    saved = _as_float(expected_units_saved, n)
    avoided = saved * _as_float(unit_penalty, n)
    cost_arr = _as_float(cost, n)
    out["action"] = action
    out["subject"] = subject.to_numpy() if isinstance(subject, pd.Series) else subject
    out["quantity"] = _as_float(quantity, n)
    out["expected_units_saved"] = saved
    out["expected_cost_avoided"] = avoided
    out["cost"] = cost_arr
    out["net_benefit"] = avoided - cost_arr
    out["reason"] = reason.to_numpy() if isinstance(reason, pd.Series) else reason
    return out


def no_recommendations(detail: pd.DataFrame, action: str) -> pd.DataFrame:
    """An empty ``detail`` with the common columns: what a decision returns when nothing pays off."""
    return add_recommendation_columns(
        detail,
        action=action,
        subject=pd.Series(dtype=str),
        quantity=np.zeros(0),
        expected_units_saved=np.zeros(0),
        unit_penalty=0.0,
        cost=0.0,
        reason=pd.Series(dtype=str),
    )


def combine_recommendations(*frames: pd.DataFrame) -> pd.DataFrame:
    """Stack the common columns of several decisions, best net benefit first."""
    parts = []
    for frame in frames:
        missing = [c for c in RECOMMENDATION_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"a recommendation frame is missing column(s) {missing}")
        parts.append(frame[list(RECOMMENDATION_COLUMNS)])
    if not parts:
        return pd.DataFrame(columns=list(RECOMMENDATION_COLUMNS))
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values("net_benefit", ascending=False, kind="mergesort", ignore_index=True)


def to_records(frame: pd.DataFrame) -> list[Recommendation]:
    """Turn the common columns of a recommendation frame into records."""
    rows = frame[list(RECOMMENDATION_COLUMNS)].to_dict(orient="records")
    return [Recommendation(**{k: v for k, v in row.items()}) for row in rows]


def units_text(values: np.ndarray | pd.Series) -> pd.Series:
    """Unit counts as text for reasons: ``"12"``, or ``"12.5"`` when fractional (vectorized)."""
    index = values.index if isinstance(values, pd.Series) else None
    arr = np.asarray(values, dtype=float)
    if np.isfinite(arr).all() and (arr == np.round(arr)).all():
        return pd.Series(arr.astype(np.int64).astype(str), index=index, dtype=object)
    return pd.Series(arr, index=index).map("{:g}".format).astype(object)


def _as_float(values: np.ndarray | pd.Series | float, n: int) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    return np.broadcast_to(arr, (n,)).copy() if arr.ndim == 0 else arr
