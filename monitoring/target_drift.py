"""Has what the demand and lead-time models forecast shifted? Target drift from realized outcomes.

Their forecasts are not logged per request, so their error cannot be joined the way the risk
model's can. What the canonical tables do show is the realized target: supplier lead times of
received purchase orders, and units ordered per SKU-location. A shift of either between the recent
window and the period before it means the model learned a world that has moved on.
"""

from __future__ import annotations

import pandas as pd

from contracts.keys import SKU_LOCATION
from features.demand import order_demand
from monitoring.drift import DriftThresholds, measure_drift
from monitoring.risk_check import ModelCheck

REFERENCE_DAYS = 365  # how far back "before the window" reaches


def _periods(stamps: pd.Series, as_of: pd.Timestamp, window_days: int) -> tuple[pd.Series, pd.Series]:
    start = as_of - pd.Timedelta(days=window_days)
    current = (stamps > start) & (stamps <= as_of)
    reference = (stamps <= start) & (stamps > start - pd.Timedelta(days=REFERENCE_DAYS))
    return reference, current


def _check(
    model_name: str,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: list[str],
    thresholds: DriftThresholds,
    min_rows: int,
) -> ModelCheck:
    details: dict[str, object] = {
        "measured": "target drift (realized outcomes, window vs the year before)",
        "reference_rows": int(len(reference)),
        "current_rows": int(len(current)),
    }
    if min(len(reference), len(current)) < min_rows:
        details["skipped"] = f"fewer than {min_rows} rows on one side"
        return ModelCheck(model_name, False, [], details)
    drift = measure_drift(reference, current, columns, None, thresholds)
    details["drift"] = drift.summary()
    reasons = [
        f"realized {c} shifted: PSI {drift.column_scores[c]:.3f} > {thresholds.column_psi}"
        for c in drift.drifted_columns
    ]
    return ModelCheck(model_name, bool(reasons), reasons, details)


def check_lead_time_model(
    purchase_orders: pd.DataFrame,
    as_of: pd.Timestamp,
    window_days: int,
    thresholds: DriftThresholds,
    min_rows: int = 30,
    model_name: str = "lead_time",
) -> ModelCheck:
    """Realized lead time and lateness of POs received in the window vs the year before."""
    received = purchase_orders[purchase_orders["received_date"].notna()]
    received_at = pd.to_datetime(received["received_date"])
    frame = pd.DataFrame(
        {
            "lead_time_days": (received_at - pd.to_datetime(received["order_date"])).dt.days,
            "days_late": (received_at - pd.to_datetime(received["promised_date"])).dt.days,
        }
    ).astype("float64")
    before, now = _periods(received_at, pd.Timestamp(as_of), window_days)
    return _check(model_name, frame[before.to_numpy()], frame[now.to_numpy()], list(frame), thresholds, min_rows)


def check_demand_model(
    order_lines: pd.DataFrame,
    orders: pd.DataFrame,
    as_of: pd.Timestamp,
    window_days: int,
    thresholds: DriftThresholds,
    min_rows: int = 30,
    model_name: str = "demand",
) -> ModelCheck:
    """Mean daily units per SKU-location in the window vs the year before (a level shift)."""
    lines = order_demand(order_lines, orders)
    ordered_at = lines["order_date"]
    before, now = _periods(ordered_at, pd.Timestamp(as_of), window_days)
    first = ordered_at[before].min() if before.any() else pd.Timestamp(as_of)
    reference_days = max((pd.Timestamp(as_of) - pd.Timedelta(days=window_days) - first).days + 1, 1)

    def daily_units(mask: pd.Series, days: int) -> pd.DataFrame:
        units = lines[mask.to_numpy()].groupby(SKU_LOCATION)["quantity"].sum() / days
        return pd.DataFrame({"daily_units": units.to_numpy(dtype="float64")})

    return _check(
        model_name,
        daily_units(before, reference_days),
        daily_units(now, window_days),
        ["daily_units"],
        thresholds,
        min_rows,
    )
