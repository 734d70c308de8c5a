"""Reserving what a scored order takes from stock, so the next order no longer sees it.

A line reserves the units it takes from its own location's free stock (``quantity_from_stock``
of the promise: all of an ``allocate``, the part shipped now of a ``split``, the part on hand of
a ``reallocate`` or ``expedite``), in line order, in one atomic call of the live state, in whole
units. The store grants at most what is free when the call runs, so two orders scored at once
never get the same unit: the one that comes second gets less than it planned.

When any line gets other than it planned (a concurrent order took the stock first, a
cancellation freed some, or the same order_id and line_id had reserved before, which the store
keeps as it was), the order's promise
dates and actions are decided again with its own location's free stock being exactly what its
lines hold, so the answer promises only reserved units. The risk stays the one read at the start
of the request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from decisions import SupplyRows
from decisions.actions import ActionPlanner, SupplySource
from live.state import LiveState, ReservationRequest


@dataclass
class HeldStock:
    """A ``SupplySource`` where some SKU-locations' free stock is what an order holds there."""

    source: SupplySource
    held: Mapping[tuple[str, str], float]

    def supply(self, sku_ids: Sequence[str]) -> SupplyRows:
        rows = self.source.supply(sku_ids)
        keys = zip(rows.stock_sku.tolist(), rows.stock_location.tolist(), strict=True)
        free = np.array([self.held.get(k, f) for k, f in zip(keys, rows.free.tolist(), strict=True)], dtype=float)
        return replace(rows, free=free.reshape(len(rows.free)))


def reserve_lines(
    live: LiveState,
    source: SupplySource,
    today: Callable[[], pd.Timestamp],
    scored: dict[str, Any],
    asked: Sequence[bool],
) -> dict[str, Any]:
    """``scored`` with ``reserved_quantity`` per line (None where ``asked`` is false: that order
    did not ask to reserve), its decisions redone if a line got other than it planned (see the
    module docstring). ``scored``: ``Scorer.score``'s columns; reservations are whole units."""
    asked = np.asarray(asked, dtype=bool)
    planned = np.where(asked, np.floor(np.asarray(scored["quantity_from_stock"], dtype=float)), 0.0)
    whole = np.floor(np.asarray(scored["quantity"], dtype=float))
    sku, location = (np.asarray(scored[c], dtype=object) for c in ("sku_id", "location_id"))
    order, line = (np.asarray(scored[c], dtype=object) for c in ("order_id", "line_id"))
    # Each line asks for its whole quantity: the store grants, in line order, what is free, which
    # is what the plan took unless the stock moved meanwhile; a line that reserved before gets
    # what it holds.
    wanted = np.flatnonzero(asked & (whole >= 1))
    granted = live.reserve(
        [
            ReservationRequest(str(order[i]), str(line[i]), str(sku[i]), str(location[i]), int(whole[i]))
            for i in wanted
        ],
        at=today(),
    )
    reserved = np.zeros(len(planned))
    reserved[wanted] = np.asarray(granted, dtype=float)
    scored["reserved_quantity"] = np.where(asked, reserved, None)
    if np.array_equal(reserved, planned):
        return scored
    held: dict[tuple[str, str], float] = {}
    for i in np.flatnonzero(asked):
        key = (sku[i], location[i])
        held[key] = held.get(key, 0.0) + reserved[i]
    decided = ActionPlanner(HeldStock(source, held), today)(scored)
    for column, values in decided.items():  # only the orders that reserved are decided again
        scored[column] = np.where(asked, values, scored[column])
    return scored


def reserved_keys(scored: dict[str, Any]) -> list[tuple[str, str]]:
    """The SKU-locations where ``reserve_lines`` reserved stock (their availability fell)."""
    held = [bool(q) for q in scored["reserved_quantity"]]
    keys = zip(np.asarray(scored["sku_id"]).tolist(), np.asarray(scored["location_id"]).tolist(), strict=True)
    return list(dict.fromkeys(k for k, h in zip(keys, held, strict=True) if h))
