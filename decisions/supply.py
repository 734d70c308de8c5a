"""Stock and open purchase orders as plain arrays, and the date each PO arrives at a confidence.

``SupplyRows`` is what promise dates and actions read (``decisions.promising``,
``decisions.actions``): free stock per SKU-location and open PO lines with their delay quantiles
(days after ``promised_date``). The service fills it from its canonical tables, the planning
form of ATP (``decisions.atp.promise_dates``) from its input frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from decisions import quantiles

NS_PER_DAY = 86_400 * 10**9


def eta_dates(
    promised: np.ndarray,
    delay_p10: np.ndarray,
    delay_p50: np.ndarray,
    delay_p90: np.ndarray,
    confidence: float,
    as_of: pd.Timestamp,
) -> np.ndarray:
    """Date (datetime64[ns]) by which each PO has arrived with probability ``confidence``.

    The delay quantile is rounded up to whole days: a PO due 2.3 days late is counted from day 3.
    A PO is never expected before ``as_of``.
    """
    delay = quantiles.quantile(confidence, delay_p10, delay_p50, delay_p90)
    days = np.ceil(delay - 1e-9)  # tolerance: p90 of exactly 3 days must stay 3, not 4
    eta = np.asarray(promised, "datetime64[ns]") + (days * NS_PER_DAY).astype("timedelta64[ns]")
    return np.maximum(eta, pd.Timestamp(as_of).normalize().to_datetime64())


@dataclass(frozen=True)
class SupplyRows:
    """Stock and open PO lines of some SKUs as arrays.

    Stock: one row per SKU-location, ``free`` = on hand minus allocated, at least 0. Open POs:
    quantity, promised date and delay quantiles (days after the promised date, p10/p50/p90).
    """

    stock_sku: np.ndarray
    stock_location: np.ndarray
    free: np.ndarray
    po_id: np.ndarray
    po_sku: np.ndarray
    po_location: np.ndarray
    po_quantity: np.ndarray
    promised_date: np.ndarray
    delay: np.ndarray  # (POs, 3): p10, p50, p90

    @classmethod
    def from_frames(cls, stock: pd.DataFrame, inbound: pd.DataFrame) -> SupplyRows:
        """From ``stock`` (sku_id, location_id, on_hand, allocated) and ``inbound`` (po_id,
        sku_id, location_id, quantity, promised_date, delay_p10/p50/p90), rows kept in order."""
        free = stock["on_hand"].to_numpy(float) - stock["allocated"].to_numpy(float)
        return cls(
            stock_sku=stock["sku_id"].to_numpy(object),
            stock_location=stock["location_id"].to_numpy(object),
            free=np.clip(free, 0.0, None),
            po_id=inbound["po_id"].to_numpy(object),
            po_sku=inbound["sku_id"].to_numpy(object),
            po_location=inbound["location_id"].to_numpy(object),
            po_quantity=inbound["quantity"].to_numpy(float),
            promised_date=inbound["promised_date"].to_numpy("datetime64[ns]"),
            delay=inbound[["delay_p10", "delay_p50", "delay_p90"]].to_numpy(float).reshape(len(inbound), 3),
        )

    def take(self, stock_rows: np.ndarray, po_rows: np.ndarray) -> SupplyRows:
        """The given stock rows and PO rows (integer positions), in that order."""
        return SupplyRows(
            self.stock_sku[stock_rows],
            self.stock_location[stock_rows],
            self.free[stock_rows],
            self.po_id[po_rows],
            self.po_sku[po_rows],
            self.po_location[po_rows],
            self.po_quantity[po_rows],
            self.promised_date[po_rows],
            self.delay[po_rows],
        )

    def eta(self, confidence: float, as_of: pd.Timestamp) -> np.ndarray:
        """Each PO's arrival date at ``confidence`` (``eta_dates``), as datetime64[ns]."""
        return eta_dates(self.promised_date, *self.delay.T, confidence, as_of)
