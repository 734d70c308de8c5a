"""Emergency orders: when a SKU-location will still be short, buy from an alternate supplier.

The order brings the projected stock back to the location's P90 demand plus safety stock (at
least the supplier's MOQ). Only alternates whose quoted lead time lands by the need date
qualify; their ``reliability`` (probability of delivering within the quoted lead time, e.g. the
on-time rate the lead-time model estimates) discounts the units saved. The cost is the price
premium over the primary supplier plus a fixed emergency-order cost: the units themselves would
be bought anyway. Per SKU-location the alternate with the best net benefit wins (ties: more
reliable, then faster, then cheaper); none is recommended when no alternate pays off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contracts.keys import SKU_LOCATION
from decisions import position
from decisions.inputs import require_columns, require_unique
from decisions.recommendation import add_recommendation_columns, no_recommendations

OPTION_COLUMNS = {
    "sku_id": "key",
    "supplier_id": "key",
    "is_primary": "bool",
    "quoted_lead_time_days": "nonneg",
    "unit_cost": "nonneg",
    "moq": "nonneg",
    "reliability": "nonneg",
}


def choose_emergency_orders(
    positions: pd.DataFrame,
    supplier_options: pd.DataFrame,
    as_of: pd.Timestamp,
    fixed_cost: float = 0.0,
) -> pd.DataFrame:
    """At most one emergency order per SKU-location of ``positions`` still projected short.

    ``positions``: see ``decisions.position``; ``inbound_quantity`` should already include the
    planned transfers and expected PO receipts. ``supplier_options``: the ``sku_suppliers`` rows
    (sku_id, supplier_id, is_primary, quoted_lead_time_days, unit_cost, moq) plus
    ``reliability`` in [0, 1]. A SKU without a primary supplier row is charged no price premium.
    Returns one row per recommended order with the recommendation columns; ``subject`` is the
    supplier.
    """
    pos = position.check_positions(positions).reset_index(drop=True)
    require_columns(supplier_options, "supplier_options", OPTION_COLUMNS)
    require_unique(supplier_options, "supplier_options", ["sku_id", "supplier_id"])
    if (supplier_options["reliability"] > 1).any():
        raise ValueError("supplier_options.reliability must be <= 1")
    as_of = pd.Timestamp(as_of).normalize()

    stock = position.projected_stock(pos)
    target = position.p90_need(pos)
    gap = np.ceil(target - stock - 1e-9)
    ratio = position.risk_ratio(pos, stock)
    short = pd.DataFrame(
        {
            "sku_id": pos["sku_id"],
            "location_id": pos["location_id"],
            "row": np.arange(len(pos)),
            "gap": gap,
        }
    )[gap > 0]
    primary = (
        supplier_options[supplier_options["is_primary"]]
        .groupby("sku_id")["unit_cost"]
        .min()
        .rename("primary_unit_cost")
    )
    alts = supplier_options[~supplier_options["is_primary"]].merge(primary, on="sku_id", how="left")
    opt = short.merge(alts, on="sku_id", how="inner")
    row = opt["row"].to_numpy()
    opt["need_date"] = pos["need_date"].to_numpy()[row]
    opt["arrival_date"] = as_of + pd.to_timedelta(opt["quoted_lead_time_days"], unit="D")
    opt = opt[opt["arrival_date"] <= opt["need_date"]]
    if opt.empty:
        return _describe(
            opt.assign(units_saved=[], penalty=[], order_cost=[], premium=[]), fixed_cost
        )
    row = opt["row"].to_numpy()
    prow = pos.iloc[row]
    qty = np.maximum(opt["gap"].to_numpy(float), opt["moq"].to_numpy(float))
    prevented = position.backorders_prevented(prow, stock[row], qty, ratio[row])
    premium = np.maximum(
        opt["unit_cost"].to_numpy(float)
        - opt["primary_unit_cost"].fillna(opt["unit_cost"]).to_numpy(float),
        0.0,
    )
    opt = opt.assign(
        quantity=qty,
        projected_stock=stock[row],
        target_stock=target[row],
        units_saved=opt["reliability"].to_numpy(float) * prevented,
        penalty=pos["backorder_penalty"].to_numpy(float)[row],
        premium=premium,
        order_cost=qty * premium + fixed_cost,
    )
    opt["_net"] = opt["units_saved"] * opt["penalty"] - opt["order_cost"]
    opt = opt[opt["_net"] > 0].sort_values(
        SKU_LOCATION + ["_net", "reliability", "quoted_lead_time_days", "order_cost"],
        ascending=[True, True, False, False, True, True],
        kind="mergesort",
    )
    best = opt.drop_duplicates(SKU_LOCATION, keep="first").drop(columns=["_net", "row", "gap"])
    return _describe(best, fixed_cost)


def _describe(best: pd.DataFrame, fixed_cost: float) -> pd.DataFrame:
    if best.empty:
        return no_recommendations(best, "emergency_order")
    g = "{:g}".format
    reason = (
        "Order "
        + best["quantity"].map(g).astype(object)
        + " units from alternate supplier "
        + best["supplier_id"].astype(str)
        + " (reliability "
        + best["reliability"].map("{:.0%}".format).astype(object)
        + ", lead time "
        + best["quoted_lead_time_days"].map(g).astype(object)
        + " days, arrives "
        + best["arrival_date"].dt.strftime("%Y-%m-%d")
        + " before the need date "
        + best["need_date"].dt.strftime("%Y-%m-%d")
        + "): projected stock "
        + best["projected_stock"].map(g).astype(object)
        + " is below P90 demand + safety stock "
        + best["target_stock"].map(g).astype(object)
        + "; saves "
        + best["units_saved"].map("{:.1f}".format).astype(object)
        + " expected backorder units worth "
        + (best["units_saved"] * best["penalty"]).map("{:.0f}".format).astype(object)
        + " for a premium of "
        + best["premium"].map("{:.2f}".format).astype(object)
        + "/unit + fixed "
        + g(fixed_cost)
        + " = "
        + best["order_cost"].map("{:.0f}".format).astype(object)
    )
    out = add_recommendation_columns(
        best,
        action="emergency_order",
        subject=best["supplier_id"].astype(str),
        quantity=best["quantity"],
        expected_units_saved=best["units_saved"],
        unit_penalty=best["penalty"],
        cost=best["order_cost"],
        reason=reason,
    )
    return out.sort_values("net_benefit", ascending=False, ignore_index=True)
