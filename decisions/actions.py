"""Per-line promise date and recommended action, from stock and open POs.

Promise dates come from ``decisions.promising.promise_lines`` (ATP with PO ETA quantiles); this
module only picks, per scored line, the one action an order-management system can execute right
away:

- ``allocate``: free stock at the line's location covers it; reserve it now.
- ``reallocate``: it does not, but another location of the same SKU has the free shortfall.
- ``expedite``: an open PO covers it, but too late for the requested date; pull that PO in.
- ``split``: part ships from stock now, the rest when a PO arrives (or never, if none covers it).
- ``none``: an open PO covers it on time, or nothing can (the effect text says which).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from decisions.promising import promise_lines
from decisions.supply import SupplyRows

ACTION_COLUMNS = [
    "promise_date",
    "action",
    "source_location_id",
    "po_id",
    "action_quantity",
    "expected_units_saved",
    "expected_effect",
    "quantity_from_stock",
]


class SupplySource(Protocol):
    def supply(self, sku_ids: Sequence[str]) -> SupplyRows:
        """Stock (one row per SKU-location) and open POs with delay quantiles of ``sku_ids``."""
        ...


@dataclass
class ActionPlanner:
    """The default ``decide`` function of a ``Scorer``: promise dates plus one action per line."""

    source: SupplySource
    today: Callable[[], pd.Timestamp]
    confidence: float = 0.9

    def __call__(self, scored: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """ACTION_COLUMNS for ``scored`` (columns as arrays: sku_id, location_id, quantity,
        requested_date, backorder_probability), as arrays aligned with its rows."""
        supply = self.source.supply(scored["sku_id"])
        promised = promise_lines(scored, supply, self.today(), self.confidence)
        return choose_actions(scored, promised, supply)


def _numbers(values: np.ndarray) -> np.ndarray:
    """Quantities as short text (12, 2.5) for the effect sentences."""
    return np.array([f"{v:g}" for v in values.tolist()], dtype=object)


def choose_actions(
    scored: Mapping[str, np.ndarray], promised: Mapping[str, np.ndarray], supply: SupplyRows
) -> dict[str, np.ndarray]:
    """One action per line, vectorized (see the module docstring for the rules).

    ``promised``: ``promise_lines``' arrays, aligned with the rows of ``scored``; so is the result.
    """
    qty = np.asarray(scored["quantity"], dtype=float)
    from_stock = promised["quantity_from_stock"]
    shortfall = qty - from_stock
    p = np.asarray(scored["backorder_probability"], dtype=float)
    donor, donor_free = _best_donor(scored, supply)
    po = promised["covering_po_id"]
    on_time = promised["on_time"]
    days_late = np.nan_to_num(promised["days_late"])

    fits = shortfall <= 0
    realloc = ~fits & (donor_free >= shortfall)
    expedite = ~fits & ~realloc & pd.notna(po) & ~on_time
    split = ~fits & ~realloc & ~expedite & (from_stock > 0)
    action = np.select(
        [fits, realloc, expedite, split], ["allocate", "reallocate", "expedite", "split"], "none"
    )
    q, s, r = _numbers(qty), _numbers(np.maximum(shortfall, 0)), _numbers(from_stock)
    po_s, donor_s = po.astype(str), donor.astype(str)
    date = np.datetime_as_string(promised["promise_date"], unit="D").astype(object)
    date[date == "NaT"] = "none"
    late = _numbers(days_late)
    covered_later = pd.notna(po)
    effect = np.select(
        [fits, realloc, expedite, split & covered_later, split, covered_later],
        [
            "reserve " + q + " units from free stock; ships now, removes the stock-out risk",
            "move " + s + " units from " + donor_s + "; the line ships complete instead of waiting",
            "pull PO " + po_s + " in by " + late + " days; the line then meets its requested date",
            "ship " + r + " units now, " + s + " when PO " + po_s + " arrives (" + date + ")",
            "ship " + r + " units now; " + s + " are not covered by stock or open POs",
            "open PO " + po_s + " covers the line on time; nothing to do",
        ],
        "no stock or open PO covers " + s + " units: needs a new order (see planner report)",
    )
    saved = np.select([fits, realloc | expedite, split], [p * qty, shortfall, from_stock], 0.0)
    moved = np.select([fits, realloc | expedite], [qty, shortfall], np.where(split, from_stock, 0))
    return {
        "promise_date": promised["promise_date"],
        "action": action,
        "source_location_id": np.where(realloc, donor, None),
        "po_id": np.where(expedite | split, po, None),
        "action_quantity": moved,
        "expected_units_saved": saved,
        "expected_effect": effect,
        "quantity_from_stock": from_stock,
    }


def _best_donor(scored: Mapping[str, np.ndarray], supply: SupplyRows) -> tuple[np.ndarray, np.ndarray]:
    """Per line, the other location of its SKU with the most free stock, and that free stock.

    Each SKU's best and second-best locations suffice: a line takes the best unless it is its own.
    """
    n = len(scored["sku_id"])
    free, n_stock = supply.free, len(supply.free)
    codes, uniques = pd.factorize(np.concatenate([supply.stock_sku, np.asarray(scored["sku_id"], dtype=object)]))
    stock_code, line_code = codes[:n_stock], codes[n_stock:]
    order = np.lexsort((-free, stock_code))  # per SKU, most free stock first
    sku, loc, amount = stock_code[order], supply.stock_location[order], free[order]
    first = np.r_[True, sku[1:] != sku[:-1]] if len(sku) else np.zeros(0, bool)
    rank = np.arange(len(sku)) - np.maximum.accumulate(np.where(first, np.arange(len(sku)), 0))
    best_loc, second_loc = np.full(len(uniques), None, object), np.full(len(uniques), None, object)
    best_free, second_free = np.zeros(len(uniques)), np.zeros(len(uniques))
    best_loc[sku[rank == 0]], best_free[sku[rank == 0]] = loc[rank == 0], amount[rank == 0]
    second_loc[sku[rank == 1]], second_free[sku[rank == 1]] = loc[rank == 1], amount[rank == 1]
    own = best_loc[line_code] == np.asarray(scored["location_id"], dtype=object)
    donor = np.where(own, second_loc[line_code], best_loc[line_code]) if n else np.empty(0, object)
    donor_free = np.where(own, second_free[line_code], best_free[line_code]) if n else np.empty(0)
    return donor.astype(object), np.where(pd.isna(donor), 0.0, donor_free)
