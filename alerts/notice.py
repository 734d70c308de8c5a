"""Customer notices: what to tell a customer about an order the service scored.

Pure: the order's scored lines in, one notice out. The order ships complete on its latest line's
promise date; it is late by the most days a line's promise passes its requested date; a line
without a promise date (stock and open POs cannot cover it) leaves the order unconfirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from decisions.inputs import require_columns


@dataclass(frozen=True)
class LineNotice:
    line_id: str
    sku_id: str
    promise_date: date | None
    delay_days: int | None
    backorder_probability: float


@dataclass(frozen=True)
class CustomerNotice:
    """``status`` is ``on_time``, ``delayed`` or ``unconfirmed``; ``delay_days`` and
    ``requested_date`` are those of the line furthest behind its requested date; ``confidence`` is
    the level at which the promise dates are set (each PO arriving by then at least that likely)."""

    order_id: str
    status: str
    promise_date: date | None
    requested_date: date | None
    delay_days: int | None
    confidence: float
    message: str
    lines: list[LineNotice]


def customer_notice(order_id: str, lines: pd.DataFrame, confidence: float) -> CustomerNotice:
    """The notice of one order from its scored lines (line_id, sku_id, requested_date,
    promise_date, backorder_probability; dates may be null)."""
    require_columns(lines, "lines", {"line_id": "key", "sku_id": "key", "backorder_probability": "nonneg"})
    promised = pd.to_datetime(lines["promise_date"])
    requested = pd.to_datetime(lines["requested_date"])
    delays = ((promised - requested).dt.days.clip(lower=0)).astype("Int64")
    per_line = [
        LineNotice(str(line), str(sku), None if pd.isna(p) else p.date(), None if pd.isna(d) else int(d), float(b))
        for line, sku, p, d, b in zip(lines["line_id"], lines["sku_id"], promised, delays,
                                      lines["backorder_probability"], strict=True)
    ]
    if promised.isna().any():
        missing = ", ".join(sorted(lines.loc[promised.isna(), "sku_id"].astype(str).unique()))
        message = (f"We cannot confirm a delivery date for order {order_id} yet: {missing} is not available "
                   "and not yet on order. We will send a date as soon as it is confirmed.")
        return CustomerNotice(order_id, "unconfirmed", None, None, None, confidence, message, per_line)
    ships = promised.max().date()
    if delays.fillna(0).max() <= 0:
        message = f"Order {order_id} is expected to ship complete on {ships:%Y-%m-%d}, as requested."
        return CustomerNotice(order_id, "on_time", ships, None, 0, confidence, message, per_line)
    latest = int(delays.fillna(0).to_numpy().argmax())  # the line furthest behind its requested date
    delay, asked, sku = int(delays.iloc[latest]), requested.iloc[latest].date(), lines["sku_id"].iloc[latest]
    message = (f"Order {order_id} is expected to ship complete on {ships:%Y-%m-%d}: {sku} arrives {delay} day"
               f"{'s' if delay != 1 else ''} after the requested {asked:%Y-%m-%d}. We apologise for the delay.")
    return CustomerNotice(order_id, "delayed", ships, asked, delay, confidence, message, per_line)
