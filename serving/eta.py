"""``GET /v1/eta/{po_id}``: arrival-date quantiles of an open PO from its delay quantiles.

The lead-time model's output is stored per open PO as ``delay_p10/p50/p90`` (days after the
promised date, the frame ``decisions`` works on); the dates come from
``decisions.eta_at_confidence`` so the API and the promise dates agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from decisions import eta_at_confidence


@dataclass
class FrameEtaLookup:
    """ETA of open POs held in memory (``inbound``: po_id, sku_id, location_id, promised_date,
    delay_p10, delay_p50, delay_p90). ``without_champion`` names what gave the delays when no
    ``lead_time`` champion did (``serving.supply.po_delay_model``), None when one did."""

    inbound: pd.DataFrame
    today: Callable[[], pd.Timestamp]
    without_champion: str | None = None

    def __call__(self, po_id: str) -> dict[str, Any] | None:
        rows = self.inbound[self.inbound["po_id"] == po_id]
        if rows.empty:
            return None
        as_of = self.today()
        row = rows.iloc[0]
        return {
            "sku_id": row["sku_id"],
            "location_id": row["location_id"],
            "promised_date": row["promised_date"].date(),
            "eta_p50": eta_at_confidence(rows.iloc[:1], 0.5, as_of).iloc[0].date(),
            "eta_p90": eta_at_confidence(rows.iloc[:1], 0.9, as_of).iloc[0].date(),
        }
