"""The exception kinds, severities and life-cycle states, declared once as data.

Detection, the store, the webhook filters, the HTTP schema and ``docs/alerts.md`` read these
declarations; a kind's reason codes and action are the vocabulary its exceptions use.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from contracts.keys import series_id

SEVERITIES = ("info", "warning", "critical")
"""Severities, least urgent first (their index orders them)."""

STATUSES = ("open", "acknowledged", "resolved", "expired")
ACTIVE_STATUSES = ("open", "acknowledged")
"""An exception in one of these states is the one exception of its dedup key."""

EVENT_TYPES = ("exception.opened", "exception.escalated", "exception.acknowledged", "exception.resolved")
"""What a webhook delivery or stream entry announces about an exception."""


def severity_rank(severity: str) -> int:
    """0 for info, 1 for warning, 2 for critical; a clear error for anything else."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity: expected one of {SEVERITIES}, got {severity!r}")
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class ExceptionKind:
    """One kind of exception: what it means, what identifies it, why it fires and what to do."""

    name: str
    description: str
    dedup_fields: tuple[str, ...]
    reason_codes: dict[str, str]
    action: str


KINDS: tuple[ExceptionKind, ...] = (
    ExceptionKind(
        "order_line_at_risk",
        "A scored order line's backorder probability reached the at-risk level, or rose to a higher severity.",
        ("order_id", "line_id"),
        {
            "risk_above_threshold": "backorder probability at or above alerts.line_risk",
            "risk_critical": "backorder probability at or above alerts.line_risk_critical",
        },
        "take the line's recommended action (allocate, reallocate, expedite, split) or re-promise it",
    ),
    ExceptionKind(
        "stockout_within_lead_time",
        "A SKU-location runs out within its lead time: available + inbound by then - median demand < 0.",
        ("sku_id", "location_id"),
        {
            "projected_stockout": "available + inbound within the lead time falls short of the projected demand "
                                  "(median plus a cushion for bursts)",
            "no_inbound": "nothing is on order to arrive within the lead time",
        },
        "transfer stock from another location, expedite an open PO or place an order now",
    ),
    ExceptionKind(
        "po_late",
        "An open purchase order will arrive after its promised date, or is already overdue.",
        ("po_id",),
        {
            "asn_after_promise": "the supplier's ASN announces an arrival after the promised date",
            "late_probability": "P(arrival after the promised date) at or above alerts.po_late_probability",
            "overdue": "the promised date has passed and the line is still open",
        },
        "chase the supplier for a firm date, expedite, or re-promise the orders waiting on it",
    ),
    ExceptionKind(
        "supplier_delay_trend",
        "A supplier's recent receipts are late beyond the limit, or later than its baseline by the trend limit.",
        ("supplier_id",),
        {
            "recent_delay_above_limit": "mean delay of recent receipts at or above alerts.supplier_delay_days",
            "delay_trend_above_limit": "recent mean delay exceeds the baseline by alerts.supplier_trend_days",
        },
        "review the supplier: raise safety stock or lead time for its SKUs, or shift volume to an alternate",
    ),
    ExceptionKind(
        "forecast_bias",
        "A demand series' forecasts are biased: |sum(forecast) / sum(actual) - 1| above the limit.",
        ("sku_id", "location_id"),
        {
            "under_forecast": "forecasts below actual demand (stock-outs follow)",
            "over_forecast": "forecasts above actual demand (excess stock follows)",
        },
        "check the series for a demand shift (promotion, new customer, lost listing) and retrain the demand model",
    ),
    ExceptionKind(
        "model_retrain",
        "Monitoring found drift or decay of a served model: it should be retrained.",
        ("model",),
        {"monitoring_retrain": "backorder monitor flagged the model (the reasons say why)"},
        "retrain it (backorder monitor --retrain, or backorder train with its target), then promote the winner",
    ),
)

KIND_NAMES: tuple[str, ...] = tuple(k.name for k in KINDS)
KINDS_BY_NAME: dict[str, ExceptionKind] = {k.name: k for k in KINDS}

EXCEPTION_FIELDS: tuple[str, ...] = (
    "kind",
    "dedup_key",
    "severity",
    "expected_cost",
    "reason_codes",
    "summary",
    "action",
    "expected_effect",
    "sku_id",
    "location_id",
    "supplier_id",
    "po_id",
    "order_id",
    "line_id",
    "details",
)
"""Columns of a detection frame: one row per exception found (ids a kind does not have are None)."""

SUBJECT_FIELDS: tuple[str, ...] = ("sku_id", "location_id", "supplier_id", "po_id", "order_id", "line_id")



def dedup_keys(kind: str, frame: pd.DataFrame) -> pd.Series:
    """``kind:value|value`` of the kind's dedup fields per row: the same problem gets the same key."""
    return f"{kind}:" + series_id(frame, KINDS_BY_NAME[kind].dedup_fields)
