"""Available-to-promise: the earliest date a line's quantity is there with a chosen confidence.

Supply at a SKU-location is the free stock (on hand minus existing allocations) today plus each
open PO at its ETA quantile for the chosen confidence. Lines consume that supply in priority
order, so a line's promise date is the first day the cumulative supply covers the cumulative
quantity of its own and all higher-priority lines. Using each PO's own ETA quantile is exact when
delays of POs at one SKU-location move together (same supplier or lane) and optimistic when they
are independent; the confidence is per PO, which planners read as "each PO on time at 90%".
Vectorized: one sort and one ``searchsorted`` over all SKU-locations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contracts.keys import SKU_LOCATION
from decisions import quantiles
from decisions.inputs import (
    ORDER_LINE_COLUMNS,
    SKU_LOCATION_COLUMNS,
    STOCK_COLUMNS,
    quantile_columns,
    require_columns,
    require_ordered_quantiles,
    require_unique,
)
from decisions.priority import PriorityRules, priority_order
from decisions.recommendation import add_recommendation_columns

NS_PER_DAY = 86_400 * 10**9
LINE_COLUMNS = {**ORDER_LINE_COLUMNS, "requested_date": "date"}
INBOUND_COLUMNS = {
    "po_id": "key",
    **SKU_LOCATION_COLUMNS,
    "quantity": "positive",
    "promised_date": "date",
    **quantile_columns("delay"),
}


def check_inbound(inbound: pd.DataFrame) -> None:
    """Validate open PO lines with their delay quantiles (days after ``promised_date``)."""
    require_columns(inbound, "inbound", INBOUND_COLUMNS)
    require_ordered_quantiles(inbound, "inbound", "delay")
    require_unique(inbound, "inbound", ["po_id"])


def eta_at_confidence(inbound: pd.DataFrame, confidence: float, as_of: pd.Timestamp) -> pd.Series:
    """Date by which each open PO has arrived with probability ``confidence`` (not before as_of)."""
    delays = (inbound[f"delay_{q}"].to_numpy(float) for q in ("p10", "p50", "p90"))
    eta = eta_dates(inbound["promised_date"].to_numpy("datetime64[ns]"), *delays, confidence, as_of)
    return pd.Series(eta, index=inbound.index, name="eta")


def eta_dates(
    promised: np.ndarray,
    delay_p10: np.ndarray,
    delay_p50: np.ndarray,
    delay_p90: np.ndarray,
    confidence: float,
    as_of: pd.Timestamp,
) -> np.ndarray:
    """``eta_at_confidence`` on arrays (datetime64[ns]): the service calls it on every request.

    The delay quantile is rounded up to whole days: a PO due 2.3 days late is counted from day 3.
    """
    delay = quantiles.quantile(confidence, delay_p10, delay_p50, delay_p90)
    days = np.ceil(delay - 1e-9)  # tolerance: p90 of exactly 3 days must stay 3, not 4
    eta = np.asarray(promised, "datetime64[ns]") + (days * NS_PER_DAY).astype("timedelta64[ns]")
    return np.maximum(eta, pd.Timestamp(as_of).normalize().to_datetime64())


def inbound_by_date(
    inbound: pd.DataFrame, dates: pd.DataFrame, confidence: float, as_of: pd.Timestamp
) -> pd.Series:
    """Open PO units arriving at each SKU-location by its ``date`` with ``confidence``.

    ``dates`` has ``sku_id, location_id, date``; the result is aligned to its rows. This is the
    ``inbound_quantity`` the reallocation and emergency-order decisions take.
    """
    check_inbound(inbound)
    require_columns(dates, "dates", {**SKU_LOCATION_COLUMNS, "date": "date"})
    po = inbound[SKU_LOCATION + ["quantity"]].assign(
        eta=eta_at_confidence(inbound, confidence, as_of).to_numpy()
    )
    joined = (
        dates[SKU_LOCATION + ["date"]].reset_index(drop=True).reset_index().merge(po, on=SKU_LOCATION, how="left")
    )
    in_time = (joined["eta"] <= joined["date"]).to_numpy()
    joined["units"] = np.where(in_time, joined["quantity"].fillna(0).to_numpy(), 0.0)
    units = joined.groupby("index")["units"].sum()
    return pd.Series(
        units.reindex(range(len(dates))).to_numpy(), index=dates.index, name="inbound_quantity"
    )


def promise_dates(
    lines: pd.DataFrame,
    stock: pd.DataFrame,
    inbound: pd.DataFrame,
    as_of: pd.Timestamp,
    confidence: float = 0.9,
    rules: PriorityRules | None = None,
    handling_days: int = 0,
) -> pd.DataFrame:
    """Promise date per order line from free stock and open POs at their ETA quantile.

    ``lines``: order_id, line_id, sku_id, location_id, quantity, requested_date (+ the columns
    ``rules`` need). Lines consume supply in ``rules`` order, or in their given order if ``rules``
    is None (e.g. order arrival). ``stock``: sku_id, location_id, on_hand, allocated (missing
    SKU-locations have no stock). ``inbound``: see ``check_inbound``.

    Returns one row per line (input order) with ``quantity_from_stock`` (units that can ship on
    ``as_of``), ``available_date`` (NaT when stock and open POs cannot cover it),
    ``promise_date = available_date + handling_days``, ``covering_po_id``, ``uncovered_quantity``,
    ``on_time`` and ``days_late`` against ``requested_date``, plus the recommendation columns.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    as_of = pd.Timestamp(as_of).normalize()
    require_columns(lines, "lines", LINE_COLUMNS)
    require_columns(stock, "stock", STOCK_COLUMNS)
    require_unique(stock, "stock", SKU_LOCATION)
    check_inbound(inbound)

    order = priority_order(lines, rules) if rules is not None else _group_order(lines)
    ordered = lines.iloc[order]
    free = (stock["on_hand"] - stock["allocated"]).clip(lower=0)
    parts = [
        stock[SKU_LOCATION].assign(date=as_of, qty=free.to_numpy(float), po_id=None),
        inbound[SKU_LOCATION + ["po_id"]].assign(
            date=eta_at_confidence(inbound, confidence, as_of).to_numpy(),
            qty=inbound["quantity"].to_numpy(float),
        ),
    ]
    events = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    keys = pd.concat([events[SKU_LOCATION], ordered[SKU_LOCATION]])
    codes = keys.groupby(SKU_LOCATION, sort=False).ngroup().to_numpy()
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    ev_g, line_g = codes[: len(events)], codes[len(events) :]
    ev_order = np.lexsort((events["date"].to_numpy(), ev_g))
    ev_g = ev_g[ev_order]
    ev_qty = events["qty"].to_numpy(float)[ev_order]
    ev_date = events["date"].to_numpy()[ev_order]
    ev_po = events["po_id"].to_numpy()[ev_order]
    ev_cum = _group_cumsum(ev_qty, ev_g)

    qty = ordered["quantity"].to_numpy(float)
    need = _group_cumsum(qty, line_g)  # this line plus all higher-priority lines
    scale = float(max(ev_cum.max(initial=0.0), need.max(initial=0.0))) + 1.0
    pos = np.searchsorted(ev_g * scale + ev_cum, line_g * scale + need, side="left")
    pos_c = np.minimum(pos, max(len(ev_g) - 1, 0))
    covered = (pos < len(ev_g)) & (ev_g[pos_c] == line_g) if len(ev_g) else np.zeros(len(qty), bool)

    free_by_group = np.zeros(n_groups)
    np.add.at(free_by_group, ev_g, np.where(pd.isna(ev_po), ev_qty, 0.0))
    supply_total = np.zeros(n_groups)
    np.add.at(supply_total, ev_g, ev_qty)
    before = need - qty
    from_stock = np.clip(free_by_group[line_g] - before, 0.0, qty)
    uncovered = np.clip(need - supply_total[line_g], 0.0, qty)
    available = pd.Series(
        np.where(covered, ev_date[pos_c], np.datetime64("NaT")), dtype="datetime64[ns]"
    )
    covering_po = pd.Series(np.where(covered, ev_po[pos_c], None), dtype=object)

    out = ordered[list(LINE_COLUMNS)].reset_index(drop=True)
    out["quantity_from_stock"] = from_stock
    out["available_date"] = available.to_numpy()
    out["promise_date"] = out["available_date"] + pd.Timedelta(days=handling_days)
    out["covering_po_id"] = covering_po.to_numpy()
    out["uncovered_quantity"] = uncovered
    out["confidence"] = confidence
    out["on_time"] = (out["promise_date"] <= out["requested_date"]).to_numpy()
    out["days_late"] = (out["promise_date"] - out["requested_date"]).dt.days.clip(lower=0)
    out = _with_reason(out, confidence).iloc[np.argsort(order)]
    out.index = lines.index
    return out


def _with_reason(out: pd.DataFrame, confidence: float) -> pd.DataFrame:
    pct = f"{confidence:.0%}"
    qty = out["quantity"].map("{:g}".format).astype(object)
    stock = out["quantity_from_stock"].map("{:g}".format).astype(object)
    date = out["promise_date"].dt.strftime("%Y-%m-%d")
    all_stock = out["quantity_from_stock"] >= out["quantity"]
    late = np.where(
        out["on_time"],
        " (on time)",
        " ("
        + out["days_late"].fillna(0).astype(int).astype(str)
        + " days after the requested date)",
    )
    reason = pd.Series(
        np.where(
            all_stock,
            "All " + qty + " units from free stock; promise " + date + late,
            np.where(
                out["available_date"].notna(),
                stock
                + " of "
                + qty
                + " units from free stock, the rest when PO "
                + out["covering_po_id"].astype(str)
                + " has arrived ("
                + pct
                + " ETA); promise "
                + date
                + late,
                stock
                + " of "
                + qty
                + " units from free stock; "
                + out["uncovered_quantity"].map("{:g}".format).astype(object)
                + " units are not covered by stock or open POs: needs a new order or a transfer",
            ),
        ),
        index=out.index,
    )
    return add_recommendation_columns(
        out,
        action="promise",
        subject=out["order_id"].astype(str) + "/" + out["line_id"].astype(str),
        quantity=out["quantity"],
        expected_units_saved=0.0,  # a promise informs the customer; it moves no stock
        unit_penalty=0.0,
        cost=0.0,
        reason=reason,
    )


def _group_order(lines: pd.DataFrame) -> np.ndarray:
    """Keep the given line order within each SKU-location (stable sort by SKU-location only)."""
    keys = lines[SKU_LOCATION].reset_index(drop=True).assign(_pos=np.arange(len(lines)))
    return keys.sort_values(SKU_LOCATION + ["_pos"], kind="mergesort")["_pos"].to_numpy()


def _group_cumsum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at each group; equal groups must be contiguous."""
    return pd.Series(values).groupby(groups, sort=False).cumsum().to_numpy()
