"""The lead-time model as the replay's policy reads it (trained by ``training.closed_loop``).

``ModelLeadTimes`` predicts the delay quantiles of every PO line once, from what is known when
it is placed, and of a hypothetical primary-supplier order placed today (reorder lead times);
an ASN replaces the prediction by the announced date, an open line's delay is at least
``today + 1 - promised`` and an expedite takes its days off. A line open past its predicted median
gets the run-up plus the remaining delay of lines that far past theirs in the history
(``training.lead_time.overdue``), so an episode's lines are not expected "tomorrow" every day. A
supplier whose lines due in the last ``signal_window`` days ran behind the model gets that lag
added to the median and P90 delay of its orders (``training.lead_time.tracking``).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from policy.forecasts import WorldKeys
from simulation.policy import StateView
from training.closed_loop import TrainedModels
from training.lead_time.tracking import delay_excess


class ModelLeadTimes:
    """Delay quantiles (days after the promised date) of open and hypothetical PO lines."""

    def __init__(
        self, models: TrainedModels, keys: WorldKeys, signal_window: int, overdue_tail: bool
    ) -> None:
        """``signal_window``: days of due PO lines in the supplier tracking signal (0: none);
        ``overdue_tail``: a line open past its predicted median gets, as its median, the run-up plus
        the median remaining delay of such lines in the history (``models.overdue``), instead of
        arriving tomorrow at the earliest."""
        self.model = models.lead_time
        self.overdue = models.overdue if overdue_tail else None
        self.keys = keys
        self.signal_window = signal_window
        self.known = np.zeros((0, 3))  # per PO id, predicted at placement
        self.supplier = np.zeros(0, dtype=np.int64)  # per PO id
        self.promised = np.zeros(0, dtype=np.int64)  # per PO id
        self.observed = np.zeros(0)  # per PO id: delay announced by its ASN, NaN before
        self.credit = np.zeros(0)  # per PO id: days an expedite took off its delay
        self.excess = np.zeros(0)  # per supplier: days its recent lines run behind the model
        self.seconds = 0.0

    def _lines(
        self,
        view: StateView,
        n: np.ndarray,
        slot: np.ndarray,
        order_day: np.ndarray,
        promised: np.ndarray,
        quantity: np.ndarray,
        ids: np.ndarray,
    ) -> pd.DataFrame:
        world = self.keys.world
        supplier = view.terms.supplier[n, slot]
        return pd.DataFrame(
            {
                "po_id": ids,
                "supplier_id": world.supplier_ids[supplier],
                "promised_date": self.keys.date(promised),
                "order_date": self.keys.date(order_day),
                "location_id": self.keys.location[n],
                "category": self.keys.category[n],
                "quantity": quantity.astype(float),
                "is_expedited": 0.0,
            }
        )

    def _predict(self, lines: pd.DataFrame) -> np.ndarray:
        started = time.perf_counter()
        pred = self.model.predict(lines)
        self.seconds += time.perf_counter() - started
        return pred[["p10", "p50", "p90"]].to_numpy(float)

    def open_po(self, view: StateView) -> np.ndarray:
        """``(P, 3)`` delay quantiles of the view's open PO lines."""
        ids = view.po_id
        if len(ids) and ids.max() >= len(self.known):
            self._grow(int(ids.max()) + 1)
        todo = np.isnan(self.known[ids, 0]) if len(ids) else np.zeros(0, dtype=bool)
        if todo.any():
            self.supplier[ids[todo]] = view.terms.supplier[view.po_n[todo], view.po_slot[todo]]
            self.promised[ids[todo]] = view.po_promised_day[todo]
            self.known[ids[todo]] = self._predict(
                self._lines(
                    view,
                    view.po_n[todo],
                    view.po_slot[todo],
                    view.po_order_day[todo],
                    view.po_promised_day[todo],
                    view.po_quantity[todo],
                    ids[todo],
                )
            )
        announced = view.po_eta >= 0
        exact = (view.po_eta - view.po_promised_day).astype(float)[:, None]
        saved = np.where(view.po_expedited, view.terms.expedite_days_saved[view.po_n, view.po_slot], 0)
        self.observed[ids[announced]] = exact[announced, 0]
        self.credit[ids] = saved
        if self.signal_window > 0:
            self.excess = self._excess(view)
        delay = self.known[ids].copy()
        delay[:, 1:] += self._shift(self.supplier[ids])[:, None]
        delay -= saved[:, None]
        elapsed = (view.day + 1 - view.po_promised_day).astype(float)  # open today: at least this late
        delay = np.maximum(delay, elapsed[:, None])
        if self.overdue is not None:
            # P90 at least the new median. The history's P90 rest is not used: it prices every line a
            # day late as an episode, which adds stock for about as many backorders.
            delay[:, 1] = np.fmax(delay[:, 1], self._overdue_median(elapsed, self.known[ids, 1] - saved))
            delay[:, 2] = np.maximum(delay[:, 2], delay[:, 1])
        return np.where(announced[:, None], exact, delay)

    def _grow(self, size: int) -> None:
        """Extend the per-PO-id arrays to ``size`` ids."""
        old = len(self.known)
        self.known = np.concatenate([self.known, np.full((size - old, 3), np.nan)])
        self.supplier = np.concatenate([self.supplier, np.full(size - old, -1, dtype=np.int64)])
        self.promised = np.concatenate([self.promised, np.zeros(size - old, dtype=np.int64)])
        self.observed = np.concatenate([self.observed, np.full(size - old, np.nan)])
        self.credit = np.concatenate([self.credit, np.zeros(size - old)])

    def _excess(self, view: StateView) -> np.ndarray:
        """Per supplier, days its lines due in the last ``signal_window`` days ran behind the model.

        A line counts with its announced delay, or, still open without ASN, with its predicted
        median, or once past it, the delay it has already run up plus (with ``overdue_tail``) the
        history's median remaining delay of lines that far past theirs; an expedite's days are
        added back (they are the policy's doing, not the supplier's). Called once per view, after
        today's ASNs are recorded.
        """
        n_suppliers = int(view.terms.supplier.max()) + 1
        due = (self.promised > view.day - self.signal_window) & (self.promised <= view.day)
        due &= ~np.isnan(self.known[:, 0])
        open_now = np.zeros(len(self.known), dtype=bool)
        open_now[view.po_id] = True
        elapsed = (view.day + 1 - self.promised).astype(float)
        overdue = np.maximum(elapsed, self.known[:, 1])
        if self.overdue is not None:
            overdue = np.fmax(overdue, self._overdue_median(elapsed, self.known[:, 1]))
        observed = np.where(np.isnan(self.observed), np.where(open_now, overdue, np.nan), self.observed + self.credit)
        used = due & ~np.isnan(observed)
        return delay_excess(self.supplier[used], observed[used], self.known[used, 1], n_suppliers)

    def _overdue_median(self, elapsed: np.ndarray, predicted_median: np.ndarray) -> np.ndarray:
        """Median delay of open lines ``elapsed`` days after their promised day: the run-up plus the
        history's median rest for lines that far past their median (``OverdueDelay``); NaN for a
        line not past its predicted median (or not predicted yet)."""
        past = elapsed - predicted_median
        rest = self.overdue.remaining(np.nan_to_num(past, nan=-1.0))[:, self.overdue.quantiles.index(0.5)]
        return np.where(past >= 0, elapsed + rest, np.nan)

    def _shift(self, supplier: np.ndarray) -> np.ndarray:
        """Tracking-signal days added to the median and P90 delay of lines of ``supplier``."""
        if not len(self.excess):
            return np.zeros(len(supplier))
        return self.excess[supplier]

    def new_orders(self, view: StateView) -> tuple[np.ndarray, np.ndarray]:
        """Delay quantiles ``(N, 3)`` of a primary order placed today, and on-time share per supplier.

        The on-time share (1 - mean p_late) counts the hypothetical orders of both supplier slots.
        """
        terms = view.terms
        n_total = len(view.on_hand)
        n = np.concatenate([np.arange(n_total), np.flatnonzero(terms.supplier[:, 1] >= 0)])
        slot = np.concatenate([np.zeros(n_total, dtype=np.int64), np.ones(len(n) - n_total, dtype=np.int64)])
        lead = terms.quoted_lead_time[n, slot]
        lines = self._lines(
            view,
            n,
            slot,
            np.full(len(n), view.day),
            view.day + lead,
            np.maximum(terms.moq[n, slot], 1),
            -1 - np.arange(len(n)),
        )
        started = time.perf_counter()
        pred = self.model.predict(lines)
        self.seconds += time.perf_counter() - started
        delay = np.maximum.accumulate(pred[["p10", "p50", "p90"]].to_numpy(float)[:n_total], axis=1)
        delay[:, 1:] += self._shift(terms.supplier[:, 0])[:, None]
        supplier = terms.supplier[n, slot]
        n_suppliers = int(terms.supplier.max()) + 1
        late = np.bincount(supplier, weights=pred["p_late"].to_numpy(float), minlength=n_suppliers)
        count = np.bincount(supplier, minlength=n_suppliers)
        reliability = np.where(count > 0, 1 - late / np.maximum(count, 1), 1.0)
        return delay, reliability
