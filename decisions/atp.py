"""Available-to-promise over planning frames: promise dates with their reasons, and PO arrivals.

``promise_dates`` validates the frames, orders lines by priority, takes the dates from the one
implementation of the rule (``decisions.promising.promise_lines``) and adds the explanation and
recommendation columns. ``eta_at_confidence`` and ``inbound_by_date`` give the same PO arrival
dates to the reallocation and emergency-order decisions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contracts.keys import SKU_LOCATION
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
from decisions.promising import PROMISE_FIELDS, promise_lines
from decisions.recommendation import add_recommendation_columns
from decisions.supply import SupplyRows, eta_dates

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

    order = priority_order(lines, rules) if rules is not None else np.arange(len(lines))
    ordered = lines.iloc[order]
    promised = promise_lines(
        ordered, SupplyRows.from_frames(stock, inbound), as_of, confidence, handling_days
    )
    out = ordered[list(LINE_COLUMNS)].reset_index(drop=True)
    for field in PROMISE_FIELDS:
        out[field] = promised[field]
    out.insert(out.columns.get_loc("on_time"), "confidence", confidence)
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
