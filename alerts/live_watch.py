"""Exceptions in real time: what events touched is checked again, off the request path.

``LiveChecks`` reads the touched SKU-locations' stock and open POs from the live state and runs
the nightly scan's detection on them (``stockout_within_lead_time`` for the SKU-locations,
``po_late`` for the PO lines); the desk opens or updates what is found and resolves what is no
longer found (``AlertDesk.recheck``). ``LiveWatch`` is the daemon thread around it: ``touch``
only adds keys to a set (it never blocks the caller), the thread waits ``debounce_seconds`` after
the first touch so a burst of events is checked once, checks, then calls ``after_check`` (the
service wakes its delivery worker there, so the notices go out at once).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from alerts.delivery import utc_now
from alerts.desk import AlertDesk, RecheckResult
from alerts.detection import DELAY_QUANTILES, empty_exceptions, late_purchase_orders, stockouts_within_lead_time
from alerts.kinds import dedup_keys
from contracts.keys import SKU_LOCATION
from live.state import LiveState

logger = logging.getLogger(__name__)

DemandSource = Callable[[pd.DataFrame, pd.Timestamp, int], pd.DataFrame]
"""(keys: sku_id, location_id; as_of; horizon days) -> daily sku_id, location_id, ds, p50 (p90) after as_of."""
PoDelaySource = Callable[[pd.DataFrame], np.ndarray]
"""open PO lines -> row-aligned delay_p10, delay_p50, delay_p90 (days after the promised date)."""


@dataclass
class LiveChecks:
    """The stock-out and late-PO checks of some touched keys against the live state, recorded."""

    live: LiveState
    desk: AlertDesk
    demand: DemandSource
    lead_times: pd.DataFrame  # sku_id, lead_time_days
    today: Callable[[], pd.Timestamp]  # the date the service serves as of
    po_delays: PoDelaySource | None = None
    clock: Callable[[], datetime] = utc_now

    def __call__(self, sku_locations: Collection[tuple[str, str]], po_ids: Collection[str]) -> RecheckResult:
        as_of = pd.Timestamp(self.today()).normalize()
        cfg = self.desk.cfg
        touched = pd.DataFrame(list(sku_locations), columns=SKU_LOCATION, dtype=object)
        skus = sorted(set(touched["sku_id"]))
        positions = self.live.positions(skus).merge(touched, on=SKU_LOCATION)
        open_pos = self.live.open_purchase_orders(skus)
        if self.po_delays is not None and len(open_pos):
            open_pos[list(DELAY_QUANTILES)] = self.po_delays(open_pos)
        lead_times = positions[SKU_LOCATION].merge(self.lead_times, on="sku_id")
        found, checked = [], []
        if len(lead_times):
            horizon = int(np.ceil(lead_times["lead_time_days"].astype(float).max()))
            demand = self.demand(lead_times[SKU_LOCATION], as_of, horizon)
            own_pos = open_pos.merge(touched, on=SKU_LOCATION)
            found.append(stockouts_within_lead_time(positions, own_pos, demand, lead_times, as_of, cfg))
            checked += dedup_keys("stockout_within_lead_time", lead_times).tolist()
        if po_ids:
            late = open_pos[open_pos["po_id"].isin(list(po_ids))]
            if len(late):
                found.append(late_purchase_orders(late.reset_index(drop=True), as_of, cfg))
            checked += dedup_keys("po_late", pd.DataFrame({"po_id": sorted(po_ids)}, dtype=object)).tolist()
        frames = [f for f in found if len(f)]
        detected = pd.concat(frames, ignore_index=True) if frames else empty_exceptions()
        return self.desk.recheck(detected, checked, self.clock())


class LiveWatch(threading.Thread):
    """A daemon thread running ``check`` on the keys touched since its last run (see the module doc)."""

    def __init__(
        self,
        check: Callable[[set[tuple[str, str]], set[str]], object],
        debounce_seconds: float,
        after_check: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(name="live-alert-checks", daemon=True)
        self.check, self.debounce_seconds, self.after_check = check, debounce_seconds, after_check
        self._lock = threading.Lock()
        self._sku_locations: set[tuple[str, str]] = set()
        self._po_ids: set[str] = set()
        self._touched = threading.Event()
        self._stopped = threading.Event()

    def touch(self, sku_locations: Iterable[tuple[str, str]], po_ids: Iterable[str] = ()) -> None:
        """Queue keys for the next check; returns at once."""
        sku_locations, po_ids = set(sku_locations), set(po_ids)
        if not sku_locations and not po_ids:
            return
        with self._lock:
            self._sku_locations |= sku_locations
            self._po_ids |= po_ids
        self._touched.set()

    def run(self) -> None:
        while not self._stopped.is_set():
            self._touched.wait()
            if self._stopped.wait(self.debounce_seconds):
                return
            self._touched.clear()
            with self._lock:
                sku_locations, po_ids = self._sku_locations, self._po_ids
                self._sku_locations, self._po_ids = set(), set()
            if not sku_locations and not po_ids:  # taken by the previous run already
                continue
            try:
                self.check(sku_locations, po_ids)
            except Exception:  # a failed check must not end the thread; the next touch checks again
                logger.exception("live exception check of %d SKU-locations failed", len(sku_locations))
            if self.after_check is not None:
                self.after_check()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopped.set()
        self._touched.set()
        self.join(timeout)
