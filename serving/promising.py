"""Promise dates for the few lines of one request, in NumPy: the request-path twin of
``decisions.promise_dates`` (same rule, same answers; ``tests/serving`` checks they agree).

``decisions.promise_dates`` is built for planning runs over many lines and adds explanation and
recommendation columns through pandas; on a 10-line order that overhead was most of a request's
time. This keeps only what an answer needs: units from free stock, the date the line is covered
(free stock now, else the open PO whose ETA at ``confidence`` makes cumulative supply reach it),
the covering PO and lateness. Lines consume supply in their given order within a SKU-location.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from serving.supply import SupplyRows

NAT = np.datetime64("NaT", "ns")


def _codes(keys: list[tuple[str, str]], table: dict[tuple[str, str], int]) -> np.ndarray:
    return np.fromiter((table.setdefault(k, len(table)) for k in keys), dtype=np.int64, count=len(keys))


def _group_cumsum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at each group (groups contiguous)."""
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
) -> dict[str, np.ndarray]:
    """``quantity_from_stock, promise_date, covering_po_id, on_time, days_late``: arrays aligned
    with the rows of ``lines`` (no DataFrame: the caller reads columns, and building one cost more
    than the arithmetic).

    ``lines``: columns sku_id, location_id, quantity, requested_date (a DataFrame or a mapping
    of arrays); ``supply``: the stock and open POs of the lines' SKUs (``FrameSupply.supply``).
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
    need[by_group] = _group_cumsum(qty[by_group], line_g[by_group])
    scale = float(max(ev_cum.max(initial=0.0), need.max(initial=0.0))) + 1.0
    pos = np.searchsorted(ev_g * scale + ev_cum, line_g * scale + need, side="left")
    pos_c = np.minimum(pos, max(len(ev_g) - 1, 0))
    covered = (pos < len(ev_g)) & (ev_g[pos_c] == line_g) if len(ev_g) else np.zeros(len(qty), bool)

    n_groups = len(table)
    free_by_group = np.bincount(ev_g, weights=np.where(is_stock, ev_qty, 0.0), minlength=n_groups)
    from_stock = np.clip(free_by_group[line_g] - (need - qty), 0.0, qty)
    promise = np.where(covered, ev_date[pos_c] if len(ev_g) else NAT, NAT).astype("datetime64[ns]")
    requested = np.asarray(lines["requested_date"], dtype="datetime64[ns]")
    late_days = (promise - requested) / np.timedelta64(1, "D")
    return {
        "quantity_from_stock": from_stock,
        "promise_date": promise,
        "covering_po_id": np.where(covered, ev_po[pos_c] if len(ev_g) else None, None),
        "on_time": promise <= requested,
        "days_late": np.clip(late_days, 0.0, None),
    }
