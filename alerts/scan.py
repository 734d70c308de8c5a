"""The full set of exceptions from one scan's inputs: every kind whose inputs are given.

Pure: frames in, one detection frame out (``EXCEPTION_FIELDS``), plus a note per kind that
could not be checked for lack of its inputs. ``backorder exceptions scan`` reads the inputs from
the canonical tables, the champions and the monitoring summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from alerts import detection
from alerts.detection import DELAY_QUANTILES
from settings.sections import AlertsSettings


@dataclass(frozen=True)
class ScanInputs:
    """What a scan looks at; None marks an input that is not available."""

    as_of: pd.Timestamp
    positions: pd.DataFrame | None = None  # live.state.POSITION_COLUMNS
    open_pos: pd.DataFrame | None = None  # live.state.OPEN_PO_COLUMNS (+ delay_p10/p50/p90)
    demand: pd.DataFrame | None = None  # sku_id, location_id, ds, p50, optionally p90 (daily)
    lead_times: pd.DataFrame | None = None  # sku_id, location_id, lead_time_days
    scored_lines: pd.DataFrame | None = None  # order_id, line_id, sku_id, location_id, quantity, probability
    receipts: pd.DataFrame | None = None  # supplier_id, promised_date, received_date
    forecasts: pd.DataFrame | None = None  # sku_id, location_id, forecast, actual (one row per day)
    verdicts: pd.DataFrame | None = None  # model, retrain, reasons
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScanResult:
    exceptions: pd.DataFrame
    notes: list[str]

    def counts(self) -> dict[str, int]:
        """Exceptions found per kind."""
        return {str(k): int(v) for k, v in self.exceptions["kind"].value_counts().sort_index().items()}


def with_live_supply(inputs: ScanInputs, positions: pd.DataFrame, open_pos: pd.DataFrame) -> ScanInputs:
    """``inputs`` with the live state's positions and open POs (``positions()`` and
    ``open_purchase_orders()`` of a ``LiveState``). The delay quantiles of the POs the other inputs
    know are carried over by ``po_id``; a PO placed since has none, so its ASN and promised date
    decide."""
    known = inputs.open_pos
    if known is not None and all(c in known for c in DELAY_QUANTILES):
        delays = known[["po_id", *DELAY_QUANTILES]].drop_duplicates("po_id")
        open_pos = open_pos.merge(delays, on="po_id", how="left")
    return replace(inputs, positions=positions, open_pos=open_pos,
                   notes=[*inputs.notes, "stock and open POs from the live state"])


def detect_all(inputs: ScanInputs, cfg: AlertsSettings) -> ScanResult:
    """Every kind whose inputs are present; a note names each kind skipped and why."""
    found, notes = [], list(inputs.notes)
    stock = (inputs.positions, inputs.open_pos, inputs.demand, inputs.lead_times)
    checks = (
        ("order_line_at_risk", (inputs.scored_lines,),
         lambda: detection.order_lines_at_risk(inputs.scored_lines, cfg)),
        ("stockout_within_lead_time", stock,
         lambda: detection.stockouts_within_lead_time(*stock, inputs.as_of, cfg)),
        ("po_late", (inputs.open_pos,), lambda: detection.late_purchase_orders(inputs.open_pos, inputs.as_of, cfg)),
        ("supplier_delay_trend", (inputs.receipts,),
         lambda: detection.supplier_delay_trends(inputs.receipts, inputs.as_of, cfg, inputs.open_pos)),
        ("forecast_bias", (inputs.forecasts,), lambda: detection.forecast_biases(inputs.forecasts, cfg)),
        ("model_retrain", (inputs.verdicts,), lambda: detection.retraining_exceptions(inputs.verdicts)),
    )
    for kind, needs, detect in checks:
        if any(frame is None for frame in needs):
            if not any(note.startswith(f"{kind}:") for note in notes):
                notes.append(f"{kind}: not checked, its inputs are missing")
        else:
            found.append(detect())
    frames = [f for f in found if len(f)]
    exceptions = pd.concat(frames, ignore_index=True) if frames else detection.empty_exceptions()
    return ScanResult(exceptions, notes)
