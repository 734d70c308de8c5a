"""Priority allocation of scarce free stock across open order lines.

Lines are sorted by SKU-location and priority (``PriorityRules``); within a SKU-location a line
gets stock only after every higher-priority line. A line whose order allows splitting ships what
is left (partial shipment, the rest backordered); a line that may not split ships whole or not
at all. With ``backfill`` (default), stock a whole-only line could not use goes on to smaller
lower-priority lines; without it, allocation stops at that line (strict priority: no line jumps
a higher one). Each pass is a vectorized cumulative sum per SKU-location; passes repeat only
while backfilling still serves lines, which takes a handful of passes on real order books.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contracts.keys import SKU_LOCATION
from decisions.inputs import ORDER_LINE_COLUMNS, STOCK_COLUMNS, require_columns, require_unique
from decisions.priority import PriorityRules, priority_order
from decisions.recommendation import add_recommendation_columns, units_text

LINE_COLUMNS = {**ORDER_LINE_COLUMNS, "allow_split": "bool"}


def allocate(
    lines: pd.DataFrame,
    stock: pd.DataFrame,
    rules: PriorityRules | None = None,
    backfill: bool = True,
) -> pd.DataFrame:
    """Allocate free stock (``on_hand - allocated``) to ``lines`` by priority.

    ``lines``: order_id, line_id, sku_id, location_id, quantity, allow_split, plus what ``rules``
    needs (customer_tier, requested_date, unit_margin, order_time); optional
    ``backorder_penalty`` (cost per unit backordered) values the allocation.
    Returns one row per line (input order) with ``allocated_quantity``, ``shortfall_quantity``,
    ``status`` (full / partial / none), ``priority_rank`` (1 = first at its SKU-location) and
    the recommendation columns.
    """
    rules = rules or PriorityRules()
    require_columns(lines, "lines", LINE_COLUMNS)
    require_columns(stock, "stock", STOCK_COLUMNS)
    require_unique(stock, "stock", SKU_LOCATION)
    require_unique(lines, "lines", ["order_id", "line_id"])
    if "backorder_penalty" in lines.columns:
        require_columns(lines, "lines", {"backorder_penalty": "nonneg"})

    order = priority_order(lines, rules)
    ordered = lines.iloc[order].reset_index(drop=True)
    free = stock.assign(free=(stock["on_hand"] - stock["allocated"]).clip(lower=0))
    free = ordered[SKU_LOCATION].merge(free[SKU_LOCATION + ["free"]], on=SKU_LOCATION, how="left")["free"].fillna(0.0)
    group = ordered.groupby(SKU_LOCATION, sort=False).ngroup().to_numpy()  # contiguous: lines are sorted
    remaining = np.zeros(group.max() + 1 if len(group) else 0)
    remaining[group] = free.to_numpy(float)
    qty = ordered["quantity"].to_numpy(float)
    split = ordered["allow_split"].to_numpy(bool)
    allocated = _allocate_passes(qty, split, group, remaining, backfill)

    out = ordered.copy()
    out["free_stock"] = free.to_numpy()
    out["allocated_quantity"] = allocated
    out["shortfall_quantity"] = qty - allocated
    out["status"] = np.select([allocated >= qty, allocated > 0], ["full", "partial"], "none")
    out["priority_rank"] = pd.Series(group).groupby(group).cumcount().to_numpy() + 1
    out = _with_reason(out, group, rules)
    out = out.iloc[np.argsort(order)]
    out.index = lines.index
    return out


def _allocate_passes(
    qty: np.ndarray, split: np.ndarray, group: np.ndarray, remaining: np.ndarray, backfill: bool
) -> np.ndarray:
    """Serve the longest prefix of candidates that fits per group; repeat while backfill helps."""
    allocated = np.zeros_like(qty)
    candidate = np.ones(len(qty), dtype=bool)
    served_any = True
    for pass_no in range(len(qty) + 1):
        if pass_no > 0:
            if not backfill:
                break
            # Backfill: a whole-only line larger than what is left can never ship now.
            left = remaining[group]
            keep = candidate & (left > 0) & (split | (qty <= left))
            if not served_any and keep.sum() == candidate.sum():
                break
            candidate = keep
        idx = np.flatnonzero(candidate)
        if len(idx) == 0:
            break
        g, q = group[idx], qty[idx]
        before = _group_cumsum(q, g) - q
        misses = _group_cumsum((before + q > remaining[g]).astype(float), g)
        prefix = misses == 0
        first_miss = (misses == 1) & (before + q > remaining[g])
        give = np.where(prefix, q, np.where(first_miss & split[idx], remaining[g] - before, 0.0))
        give = np.maximum(give, 0.0)
        allocated[idx] += give
        np.subtract.at(remaining, g, give)
        served = give > 0
        candidate[idx[served]] = False
        served_any = bool(served.any())
    return allocated


def _with_reason(out: pd.DataFrame, group: np.ndarray, rules: PriorityRules) -> pd.DataFrame:
    n_at_loc = units_text(np.bincount(group)[group])
    head = (
        "rank "
        + units_text(out["priority_rank"])
        + " of "
        + n_at_loc.to_numpy()
        + " lines at "
        + out["location_id"].astype(str)
        + " by "
        + ", ".join(rules.keys)
    )
    if "customer_tier" in out.columns:
        head = out["customer_tier"].astype(str) + " tier, " + head
    qty = units_text(out["quantity"])
    text = head.copy()
    full = (out["status"] == "full").to_numpy()
    partial = (out["status"] == "partial").to_numpy()
    blocked = ~full & ~partial & ~out["allow_split"].to_numpy()
    empty = ~full & ~partial & ~blocked
    text[full] += (
        ": allocate all "
        + qty[full]
        + " units ("
        + units_text(out["free_stock"][full])
        + " free at the location)"
    )
    text[partial] += (
        ": ship "
        + units_text(out["allocated_quantity"][partial])
        + " of "
        + qty[partial]
        + " now (order allows split), "
        + units_text(out["shortfall_quantity"][partial])
        + " backordered"
    )
    text[empty] += ": nothing left after higher-priority lines"
    text[blocked] += (
        ": order may not split and its "
        + qty[blocked]
        + " units do not fit in what higher-priority lines left"
    )
    penalty = out["backorder_penalty"] if "backorder_penalty" in out.columns else 0.0
    return add_recommendation_columns(
        out,
        action="allocate",
        subject=out["order_id"].astype(str) + "/" + out["line_id"].astype(str),
        quantity=out["allocated_quantity"],
        expected_units_saved=out["allocated_quantity"],
        unit_penalty=penalty,
        cost=0.0,
        reason=text,
    )


def _group_cumsum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at each group; equal groups must be contiguous."""
    return pd.Series(values).groupby(groups, sort=False).cumsum().to_numpy()
