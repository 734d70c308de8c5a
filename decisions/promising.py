"""Available-to-promise on arrays: the one implementation of the promise-date rule.

Supply at a SKU-location is its free stock today plus each open PO at its ETA for the chosen
confidence (``decisions.supply.eta_dates``). Lines consume that supply in their given order
within a SKU-location, so a line is available on the first day the cumulative supply covers the
cumulative quantity of its own and all earlier lines there. Using each PO's own ETA quantile is
exact when delays of POs at one SKU-location move together (same supplier or lane) and optimistic
when they are independent; the confidence is per PO, which planners read as "each PO on time at
90%". Vectorized: one sort and one ``searchsorted`` over all SKU-locations.

The service calls it on a request's few lines; ``decisions.atp.promise_dates`` calls it on a
planning run's many lines (after ordering them by priority) and adds the explanation columns.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from decisions.supply import SupplyRows

NAT = np.datetime64("NaT", "ns")
PROMISE_FIELDS = (
    "quantity_from_stock",
    "available_date",
    "promise_date",
    "covering_po_id",
    "uncovered_quantity",
    "on_time",
    "days_late",
)


def _codes(keys: list[tuple[str, str]], table: dict[tuple[str, str], int]) -> np.ndarray:
    return np.fromiter((table.setdefault(k, len(table)) for k in keys), dtype=np.int64, count=len(keys))


def _group_cumsum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at each run of equal ``groups`` (rows of a group contiguous)."""
    if not len(values):
        return values
    total = np.cumsum(values)
    starts = np.r_[True, groups[1:] != groups[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(len(values)), 0))
    return total - total[first] + values[first]


def promise_lines(
    lines: Mapping[str, ArrayLike],
    supply: SupplyRows,
    as_of: pd.Timestamp,
    confidence: float = 0.9,
    handling_days: int = 0,
) -> dict[str, np.ndarray]:
    """``PROMISE_FIELDS`` as arrays aligned with the rows of ``lines`` (no DataFrame: callers
    read columns, and building one costs more than the arithmetic on a request's few lines).

    ``lines``: columns sku_id, location_id, quantity, requested_date (a DataFrame or a mapping
    of arrays); ``supply``: the stock and open POs of the lines' SKUs. Per line:
    ``quantity_from_stock`` (units that can ship on ``as_of``), ``available_date`` (NaT when
    stock and open POs cannot cover it), ``promise_date = available_date + handling_days``,
    ``covering_po_id`` (None when free stock covers it), ``uncovered_quantity``, and ``on_time``
    and whole ``days_late`` of the promise date against ``requested_date``.
    """
    as_of = pd.Timestamp(as_of).normalize()
    table: dict[tuple[str, str], int] = {}
    n_stock = len(supply.free)
    ev_g = _codes(
        [*zip(supply.stock_sku.tolist(), supply.stock_location.tolist(), strict=True),
         *zip(supply.po_sku.tolist(), supply.po_location.tolist(), strict=True)],
        table,
    )
    line_g = _codes(list(zip(list(lines["sku_id"]), list(lines["location_id"]), strict=True)), table)
    ev_qty = np.concatenate([supply.free, supply.po_quantity])
    ev_date = np.concatenate([np.full(n_stock, as_of.to_datetime64(), "datetime64[ns]"),
                              supply.eta(confidence, as_of)])
    ev_po = np.concatenate([np.full(n_stock, None, object), supply.po_id])
    is_stock = np.r_[np.ones(n_stock, bool), np.zeros(len(supply.po_id), bool)]

    order = np.lexsort((ev_date, ev_g))
    ev_g, ev_qty, ev_date, ev_po, is_stock = (a[order] for a in (ev_g, ev_qty, ev_date, ev_po, is_stock))
    ev_cum = _group_cumsum(ev_qty, ev_g)

    qty = np.asarray(lines["quantity"], dtype=float)
    by_group = np.argsort(line_g, kind="stable")
    need = np.empty_like(qty)
    need[by_group] = _group_cumsum(qty[by_group], line_g[by_group])  # this line plus earlier ones
    scale = float(max(ev_cum.max(initial=0.0), need.max(initial=0.0))) + 1.0
    pos = np.searchsorted(ev_g * scale + ev_cum, line_g * scale + need, side="left")
    pos_c = np.minimum(pos, max(len(ev_g) - 1, 0))
    covered = (pos < len(ev_g)) & (ev_g[pos_c] == line_g) if len(ev_g) else np.zeros(len(qty), bool)

    n_groups = len(table)
    free_by_group = np.bincount(ev_g, weights=np.where(is_stock, ev_qty, 0.0), minlength=n_groups)
    supply_by_group = np.bincount(ev_g, weights=ev_qty, minlength=n_groups)
    from_stock = np.clip(free_by_group[line_g] - (need - qty), 0.0, qty)
    available = np.where(covered, ev_date[pos_c] if len(ev_g) else NAT, NAT).astype("datetime64[ns]")
    promise = available + np.timedelta64(handling_days, "D")
    requested = np.asarray(lines["requested_date"], dtype="datetime64[ns]")
    late_days = np.floor((promise - requested) / np.timedelta64(1, "D"))
    return {
        "quantity_from_stock": from_stock,
        "available_date": available,
        "promise_date": promise,
        "covering_po_id": np.where(covered, ev_po[pos_c] if len(ev_g) else None, None),
        "uncovered_quantity": np.clip(need - supply_by_group[line_g], 0.0, qty),
        "on_time": promise <= requested,
        "days_late": np.clip(late_days, 0.0, None),
    }
