"""Realised supplier delays learnt online from ASNs: what the quoted lead time leaves out.

Each open PO line whose ASN has arrived reveals its delay (ETA - promised day). The tracker keeps
one delay per PO id, seen only on or before the day of the view, so a policy never uses a delay
it could not have known. Quantiles per supplier feed the lead-time quantiles of the reorder
points, so unreliable suppliers get more safety stock and reliable ones keep the quoted figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.policy import StateView


class SupplierDelays:
    """Per-supplier delay quantiles (days after the promised date) from ASNs seen so far."""

    def __init__(self, n_suppliers: int, prior_weight: int = 5, window: int = 400) -> None:
        self.n_suppliers = n_suppliers
        self.prior_weight = prior_weight
        self.window = window
        self._ids = np.zeros(0, dtype=np.int64)
        self._supplier = np.zeros(0, dtype=np.int64)
        self._delay = np.zeros(0, dtype=np.float64)
        self._day = np.zeros(0, dtype=np.int64)

    def observe(self, view: StateView) -> None:
        """Record the delay of every PO line whose ASN is new today (vectorized)."""
        known = view.po_eta >= 0
        new = known & ~np.isin(view.po_id, self._ids)
        if not new.any():
            return
        supplier = view.terms.supplier[view.po_n[new], view.po_slot[new]]
        self._ids = np.concatenate([self._ids, view.po_id[new]])
        self._supplier = np.concatenate([self._supplier, supplier])
        self._delay = np.concatenate(
            [self._delay, (view.po_eta[new] - view.po_promised_day[new]).astype(float)]
        )
        self._day = np.concatenate([self._day, np.full(int(new.sum()), view.day)])

    def quantiles(self, day: int) -> np.ndarray:
        """``(n_suppliers, 3)`` delay p10/p50/p90 over the last ``window`` days.

        Suppliers with few observations are shrunk towards on-time (``prior_weight`` pseudo
        observations at delay 0), so one late shipment does not inflate the buffers.
        """
        recent = self._day > day - self.window
        frame = pd.DataFrame({"supplier": self._supplier[recent], "delay": self._delay[recent]})
        prior = pd.DataFrame(
            {
                "supplier": np.repeat(np.arange(self.n_suppliers), self.prior_weight),
                "delay": 0.0,
            }
        )
        frame = pd.concat([frame, prior], ignore_index=True)
        table = frame.groupby("supplier")["delay"].quantile([0.1, 0.5, 0.9]).unstack()
        out = table.reindex(np.arange(self.n_suppliers)).fillna(0.0).to_numpy()
        return np.maximum.accumulate(out, axis=1)

    def reliability(self, day: int) -> np.ndarray:
        """Share of each supplier's recent PO lines announced on or before the promised day."""
        recent = self._day > day - self.window
        on_time = np.bincount(
            self._supplier[recent],
            weights=(self._delay[recent] <= 0).astype(float),
            minlength=self.n_suppliers,
        )
        seen = np.bincount(self._supplier[recent], minlength=self.n_suppliers)
        return (on_time + self.prior_weight) / (seen + self.prior_weight)
