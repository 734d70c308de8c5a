"""Features of PO lines known when they are placed, and the coercion of raw PO-line tables.

Only attributes fixed at ordering time are used (supplier, route, product, quantities, quoted
dates), so a line's features are the same whether it is delivered or still open: no outcome
column (receipt date, recorded delay) can leak into them. Supplier history enters through the
supplier category of a model trained on earlier deliveries only, and optionally through the
supplier's delays known before each line's known-at date (``training.lead_time.supplier_history``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from contracts.keys import DAY


@dataclass(frozen=True)
class LeadTimeSpec:
    """Column roles of a PO-line table (SCMS shipments, canonical ``purchase_orders``...)."""

    id_col: str
    supplier_col: str
    due_col: str
    received_col: str
    order_col: str | None = None
    categorical: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()


def as_datetime(values: pd.Series) -> pd.Series:
    """Naive datetime64[ns] from dates, strings or tz-aware stamps; unparsable values -> NaT."""
    parsed = pd.to_datetime(values, errors="coerce", format="mixed", utc=True)
    return parsed.dt.tz_localize(None).astype("datetime64[ns]")


def delay_days(frame: pd.DataFrame, spec: LeadTimeSpec) -> pd.Series:
    """Days between receipt and scheduled date (> 0 = late); missing while the line is open."""
    return (frame[spec.received_col] - frame[spec.due_col]) / DAY


def open_delay_floor(due: pd.Series, cutoff: pd.Timestamp) -> np.ndarray:
    """Least delay in days of a line still open at ``cutoff``: it arrives the day after at the
    earliest (NaN where the due date is missing)."""
    return ((cutoff - due) / DAY + 1).to_numpy(dtype="float64")


def coerce_po_lines(frame: pd.DataFrame, spec: LeadTimeSpec, need_received: bool) -> pd.DataFrame:
    """Copy with datetime dates (unparsable -> NaT), numeric numerics and string categoricals;
    a clear error if a column is absent."""
    needed = [spec.id_col, spec.supplier_col, spec.due_col, *spec.categorical, *spec.numeric]
    needed += [spec.order_col] if spec.order_col else []
    needed += [spec.received_col] if need_received else []
    missing = sorted(set(needed) - set(frame.columns))
    if missing:
        raise ValueError(f"PO lines: missing column(s) {missing}")
    out = frame.copy()
    dates = [spec.due_col, spec.received_col, spec.order_col]
    for col in [c for c in dates if c and c in out.columns]:
        out[col] = as_datetime(out[col])
    for col in spec.numeric:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    for col in {spec.supplier_col, *spec.categorical}:
        out[col] = out[col].astype("string").fillna("<missing>")
    return out


def line_features(lines: pd.DataFrame, spec: LeadTimeSpec) -> pd.DataFrame:
    """Derived features known when the line is placed: season of the due date, quoted lead time."""
    due = lines[spec.due_col]
    out = pd.DataFrame(index=lines.index)
    out["due_month"] = due.dt.month.astype("float64")
    out["due_dayofweek"] = due.dt.dayofweek.astype("float64")
    if spec.order_col:
        out["quoted_lead_days"] = (due - lines[spec.order_col]) / DAY
    return out
