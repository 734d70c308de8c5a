"""Scoring against the live state: the stock and open POs as the last events left them.

``LiveSupply`` is the ``SupplySource`` of a service with a live state: each request reads its
SKUs' positions and open PO lines from the store (shared by every worker), so the promise date
and the action see the stock as it is now. Free stock is ``on_hand - reserved``: a unit reserved
by a confirmed order line or by an earlier reserving score is taken, whoever holds it.

``LiveStockReader`` puts the same live figures into the risk model's stock features
(``on_hand``, ``allocated`` = reserved, ``available``) before the request-time features are built
from ``available``, so the risk follows the stock too. Training reads these columns from the
inventory snapshot (on hand and allocated); the live state is the same quantities, kept current.

Open POs get the ``lead_time`` champion's delay quantiles (``PoDelays``): predicted once per PO
line version (promised date, quantity) and kept; an ASN's announced date moves the median as at
start-up (``serving.supply.announced_delays``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from decisions import SupplyRows
from live.state import LiveState
from serving.supply import announced_delays

DELAY_QUANTILES = ["p10", "p50", "p90"]
# Online feature -> live position column it is replaced with (when the feature service has it).
LIVE_STOCK_FEATURES = {"on_hand": "on_hand", "allocated": "reserved", "available": "available"}


def _po_key(frame: pd.DataFrame) -> list[tuple[str, int, float]]:
    """A PO line's version: a changed promised date or quantity is predicted again."""
    dates = np.asarray(frame["promised_date"], dtype="datetime64[D]").astype(np.int64)
    return list(zip(frame["po_id"].tolist(), dates.tolist(), frame["quantity"].astype(float).tolist(), strict=True))


@dataclass
class PoDelays:
    """Delay quantiles (days after the promised date) per open PO line, predicted once each.

    ``model.predict(lines)`` returns row-aligned ``p10, p50, p90`` (the ``lead_time`` champion, or
    the supplier delay quantiles without one: ``serving.supply.po_delay_model``); without a model
    every PO is expected on its promised date. ``categories`` maps sku_id to the
    SKU category the model reads; a PO line first seen live was ordered ``today()``.
    """

    model: Any | None
    today: Callable[[], pd.Timestamp]
    categories: Mapping[str, str] = field(default_factory=dict)
    _known: dict[tuple[str, int, float], tuple[float, float, float]] = field(default_factory=dict, repr=False)

    def remember(self, inbound: pd.DataFrame) -> None:
        """Keep the quantiles already predicted (``inbound``: po_id, quantity, promised_date,
        delay_p10/p50/p90), e.g. the start-up supply's."""
        values = inbound[["delay_p10", "delay_p50", "delay_p90"]].to_numpy(float).tolist()
        self._known.update(zip(_po_key(inbound), map(tuple, values), strict=True))

    def __call__(self, open_pos: pd.DataFrame) -> np.ndarray:
        """``p10, p50, p90`` columns, row-aligned with ``open_pos`` (po_id, supplier_id, sku_id,
        location_id, quantity, promised_date)."""
        keys = _po_key(open_pos)
        new = [i for i, k in enumerate(keys) if k not in self._known]
        if new:
            predicted = self._predict(open_pos.iloc[new])
            self._known.update(zip([keys[i] for i in new], map(tuple, predicted.tolist()), strict=True))
        return np.array([self._known[k] for k in keys], dtype=float).reshape(len(keys), 3)

    def _predict(self, lines: pd.DataFrame) -> np.ndarray:
        if self.model is None:
            return np.zeros((len(lines), 3))
        inputs = lines.assign(
            order_date=pd.Timestamp(self.today()).normalize(),
            promised_date=pd.to_datetime(lines["promised_date"]),
            category=lines["sku_id"].map(self.categories),
            is_expedited=0.0,
            quantity=lines["quantity"].astype(float),
        ).reset_index(drop=True)
        return self.model.predict(inputs)[DELAY_QUANTILES].to_numpy(float)


# The positions and open PO lines the stock features of the request being scored were read with,
# handed to its supply (same context, the very same SKU array), so one request reads the store
# once and its risk and its decisions see the same stock. Taken once: a second call (a
# reservation's redecision) reads the store again.
_READ: ContextVar[tuple[np.ndarray, tuple[pd.DataFrame, pd.DataFrame]] | None] = ContextVar(
    "live_stock", default=None
)


def _stock(live: LiveState, sku_ids: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    read = _READ.get()
    if read is not None and read[0] is sku_ids:
        _READ.set(None)
        return read[1]
    return live.stock(list(dict.fromkeys(np.asarray(sku_ids, dtype=object).tolist())))


@dataclass
class LiveSupply:
    """``SupplySource`` over a live state: stock and open POs read from the store per request."""

    live: LiveState
    delays: PoDelays
    # The locations the service knows (None: not known; see ``Scorer.known_locations``).
    locations: frozenset[str] | None = None

    def supply(self, sku_ids: Sequence[str]) -> SupplyRows:
        stock, open_pos = _stock(self.live, sku_ids)
        promised = open_pos["promised_date"].to_numpy("datetime64[ns]")
        announced = (open_pos["eta"].to_numpy("datetime64[ns]") - promised) / np.timedelta64(1, "D")
        delays = announced_delays(self.delays(open_pos), announced.astype("float64"))
        free = stock["on_hand"].to_numpy(float) - stock["reserved"].to_numpy(float)
        return SupplyRows(
            stock_sku=stock["sku_id"].to_numpy(object),
            stock_location=stock["location_id"].to_numpy(object),
            free=np.clip(free, 0.0, None),
            po_id=open_pos["po_id"].to_numpy(object),
            po_sku=open_pos["sku_id"].to_numpy(object),
            po_location=open_pos["location_id"].to_numpy(object),
            po_quantity=open_pos["quantity"].to_numpy(float),
            promised_date=promised,
            delay=delays,
        )


@dataclass
class LiveStockReader:
    """A ``FeatureReader`` whose stock features come from the live state (see the module doc).

    A SKU-location the live state does not hold keeps the online store's values.
    """

    reader: Any
    live: LiveState

    @property
    def feature_names(self) -> list[str]:
        return self.reader.feature_names

    @property
    def check(self) -> Callable[[], object] | None:
        """The online store's own health check, if it has one (``serving.store_health``)."""
        return getattr(self.reader, "check", None)

    def read_values(self, entity_rows: Mapping[str, np.ndarray]) -> np.ndarray:
        values = self.reader.read_values(entity_rows)
        names = list(self.feature_names)
        replaced = {names.index(f): column for f, column in LIVE_STOCK_FEATURES.items() if f in names}
        skus = entity_rows["sku_id"]
        read = self.live.stock(list(dict.fromkeys(np.asarray(skus, dtype=object).tolist())))
        _READ.set((skus, read))
        positions = read[0]
        if not replaced or positions.empty:
            return values
        on_hand, reserved = positions["on_hand"].to_numpy(float), positions["reserved"].to_numpy(float)
        live = {"on_hand": on_hand, "reserved": reserved, "available": np.clip(on_hand - reserved, 0.0, None)}
        # A request's few lines: a dict lookup costs less than building two MultiIndexes.
        held_at = zip(positions["sku_id"].tolist(), positions["location_id"].tolist(), strict=True)
        row_of = {key: i for i, key in enumerate(held_at)}
        keys = zip(np.asarray(skus).tolist(), np.asarray(entity_rows["location_id"]).tolist(), strict=True)
        rows = np.fromiter((row_of.get(key, -1) for key in keys), dtype=np.intp, count=len(values))
        held = rows >= 0
        if not held.any():
            return values
        values = values.copy()
        for position, column in replaced.items():
            values[held, position] = live[column][rows[held]]
        return values


def seed(live: LiveState, stock: pd.DataFrame, inbound: pd.DataFrame, as_of: pd.Timestamp,
         only_if_empty: bool = False) -> int:
    """Replace what ``live`` holds by the canonical position (``CanonicalSupply``'s stock and open
    POs with their ``asn_eta``) as of ``as_of``; returns the positions seeded."""
    seeded = live.seed(stock, inbound.assign(eta=inbound["asn_eta"]), as_of, only_if_empty=only_if_empty)
    return len(stock) if seeded else 0


def seed_if_empty(live: LiveState, stock: pd.DataFrame, inbound: pd.DataFrame, as_of: pd.Timestamp) -> int:
    """``seed`` unless ``live`` holds a position of the stock's SKUs (checked and seeded in one
    atomic step, so of workers starting together one seeds); 0 when the store already had a
    state (a restart keeps what the events since have made)."""
    return seed(live, stock, inbound, as_of, only_if_empty=True) if len(stock) else 0
