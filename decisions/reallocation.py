"""Reallocation: move stock from SKU-locations with surplus to SKU-locations at risk, as one LP.

Surplus at a location is what it holds beyond its own P90 demand to its need date plus safety
stock; that much and no more may leave it, and only from free stock on the shelf today. A
location is at risk when it has no surplus and expects backorders (``decisions.position``). A
lane can serve it only if a transfer leaving on ``as_of`` arrives by its need date. The decision
minimises expected backorder penalty plus transfer cost over all SKUs at once: a min-cost flow
written as a sparse linear program and solved by HiGHS. Expected backorders are convex in the
units received, so they enter as a piecewise-linear function (``segments`` pieces per
destination, exact at the breakpoints, never above the true saving in between). The constraint
matrix is a network matrix with integral bounds, so the optimal vertex HiGHS returns is in
whole units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from decisions import position, quantiles
from decisions.inputs import require_columns, require_unique
from decisions.recommendation import add_recommendation_columns

LANE_COLUMNS = {
    "from_location_id": "key",
    "to_location_id": "key",
    "transit_days": "nonneg",
    "cost_per_unit": "nonneg",
}
_UNITS = 1e-6
_TEXT, _DATE, _NUM = object, "datetime64[ns]", float
OUTPUT_DTYPES: dict[str, object] = {
    "sku_id": _TEXT,
    "location_id": _TEXT,
    "from_location_id": _TEXT,
    "to_location_id": _TEXT,
    "transit_days": "int64",
    "arrival_date": _DATE,
    "need_date": _DATE,
    **dict.fromkeys(
        [
            "source_projected_stock",
            "source_keeps",
            "destination_projected_stock",
            "destination_backorder_probability",
            "expected_backorders_before",
            "expected_backorders_after",
        ],
        _NUM,
    ),
    "action": _TEXT,
    "subject": _TEXT,
    **dict.fromkeys(
        ["quantity", "expected_units_saved", "expected_cost_avoided", "cost", "net_benefit"], _NUM
    ),
    "reason": _TEXT,
}


def plan_transfers(
    positions: pd.DataFrame,
    lanes: pd.DataFrame,
    as_of: pd.Timestamp,
    segments: int = 8,
    tail_level: float = 0.995,
) -> pd.DataFrame:
    """Transfers that minimise expected backorder penalty plus transfer cost.

    ``positions``: one row per SKU-location (see ``decisions.position.POSITION_COLUMNS``: on_hand,
    allocated, demand_p10/p50/p90 to ``need_date``, need_date, backorder_penalty per unit; optional
    inbound_quantity, safety_stock, backorder_probability). ``lanes``: from_location_id,
    to_location_id, transit_days, cost_per_unit. Units beyond the ``tail_level`` demand quantile
    are worth nothing. Returns one row per transfer with quantity, arrival date, expected
    backorders at the destination before/after, and the recommendation columns
    (``location_id`` is the destination, ``subject`` the source).
    """
    if segments < 1:
        raise ValueError(f"segments must be >= 1, got {segments}")
    pos = position.check_positions(positions).reset_index(drop=True)
    require_columns(lanes, "lanes", LANE_COLUMNS)
    require_unique(lanes, "lanes", ["from_location_id", "to_location_id"])
    as_of = pd.Timestamp(as_of).normalize()

    stock = position.projected_stock(pos)
    keep = position.p90_need(pos)
    on_shelf = np.maximum(pos["on_hand"].to_numpy(float) - pos["allocated"].to_numpy(float), 0.0)
    surplus = np.floor(np.maximum(np.minimum(stock - keep, on_shelf), 0.0) + _UNITS)  # ships today
    ratio = position.risk_ratio(pos, stock)
    before = position.expected_backorders(pos, stock, 0.0, ratio)
    penalty = pos["backorder_penalty"].to_numpy(float)
    is_dest = (surplus == 0) & (before > _UNITS) & (penalty > 0)
    dest = np.flatnonzero(is_dest)
    src = np.flatnonzero(surplus > 0)

    # Piecewise-linear expected backorders per destination: breakpoints 0, w, 2w, ... K w.
    demand = [
        pos[c].to_numpy(float)[dest][:, None] for c in ("demand_p10", "demand_p50", "demand_p90")
    ]
    top = quantiles.quantile(tail_level, *demand)[:, 0]
    width = np.maximum(np.ceil((top - stock[dest]) / segments), 1.0)
    breaks = stock[dest][:, None] + width[:, None] * np.arange(segments + 1)[None, :]
    eb = ratio[dest][:, None] * quantiles.expected_shortfall(breaks, *demand)
    unit_benefit = penalty[dest][:, None] * (eb[:, :-1] - eb[:, 1:]) / width[:, None]

    arcs = _candidate_arcs(pos, src, dest, lanes, as_of, unit_benefit[:, 0] if len(dest) else None)
    if arcs.empty:
        return _empty()
    flows = _solve(arcs, surplus[src], unit_benefit, width, len(src), len(dest))
    arcs = arcs.assign(quantity=flows)[flows > 0]
    if arcs.empty:
        return _empty()
    return _describe(arcs, pos, stock, keep, ratio, before, as_of)


def _candidate_arcs(
    pos: pd.DataFrame,
    src: np.ndarray,
    dest: np.ndarray,
    lanes: pd.DataFrame,
    as_of: pd.Timestamp,
    best_unit_benefit: np.ndarray | None,
) -> pd.DataFrame:
    """Same-SKU source-destination pairs joined by a lane that arrives in time and can pay off."""
    if len(src) == 0 or len(dest) == 0:
        return pd.DataFrame()
    d = pd.DataFrame(
        {
            "sku_id": pos["sku_id"].to_numpy()[dest],
            "to_location_id": pos["location_id"].to_numpy()[dest],
            "dest_row": np.arange(len(dest)),
            "dest_pos": dest,
            "best": best_unit_benefit,
            "need_date": pos["need_date"].to_numpy()[dest],
        }
    )
    s = pd.DataFrame(
        {
            "sku_id": pos["sku_id"].to_numpy()[src],
            "from_location_id": pos["location_id"].to_numpy()[src],
            "src_row": np.arange(len(src)),
            "src_pos": src,
        }
    )
    lane = lanes[list(LANE_COLUMNS)]
    arcs = d.merge(lane, on="to_location_id").merge(s, on=["sku_id", "from_location_id"])
    arcs["arrival_date"] = (as_of + pd.to_timedelta(arcs["transit_days"], unit="D")).astype(
        "datetime64[ns]"
    )
    ok = (arcs["arrival_date"] <= arcs["need_date"]) & (arcs["cost_per_unit"] < arcs["best"])
    return arcs[ok].reset_index(drop=True)


def _solve(
    arcs: pd.DataFrame,
    surplus: np.ndarray,
    unit_benefit: np.ndarray,
    width: np.ndarray,
    n_src: int,
    n_dest: int,
) -> np.ndarray:
    """Min cost - benefit s.t. outflow <= surplus per source, benefit units <= inflow per dest."""
    n_arc, k = len(arcs), unit_benefit.shape[1]
    n_y = n_dest * k
    arc_cols = np.arange(n_arc)
    y_cols = n_arc + np.arange(n_y)
    rows = np.concatenate(
        [
            arcs["src_row"].to_numpy(),
            n_src + arcs["dest_row"].to_numpy(),
            n_src + np.repeat(np.arange(n_dest), k),
        ]
    )
    cols = np.concatenate([arc_cols, arc_cols, y_cols])
    vals = np.concatenate([np.ones(n_arc), -np.ones(n_arc), np.ones(n_y)])
    a_ub = sparse.csr_matrix((vals, (rows, cols)), shape=(n_src + n_dest, n_arc + n_y))
    b_ub = np.concatenate([surplus, np.zeros(n_dest)])
    c = np.concatenate([arcs["cost_per_unit"].to_numpy(float), -unit_benefit.ravel()])
    upper = np.concatenate([surplus[arcs["src_row"].to_numpy()], np.repeat(width, k)])
    bounds = np.column_stack([np.zeros(n_arc + n_y), upper])
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"reallocation LP failed: {res.message}")
    return np.floor(res.x[:n_arc] + _UNITS)


def _describe(
    arcs: pd.DataFrame,
    pos: pd.DataFrame,
    stock: np.ndarray,
    keep: np.ndarray,
    ratio: np.ndarray,
    before: np.ndarray,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    d = arcs["dest_pos"].to_numpy()
    s = arcs["src_pos"].to_numpy()
    qty = arcs["quantity"].to_numpy(float)
    inflow = pd.Series(qty).groupby(d).transform("sum").to_numpy()
    dpos = pos.iloc[d]
    after = position.expected_backorders(dpos, stock[d], inflow, ratio[d])
    saved = (before[d] - after) * qty / inflow  # a destination's saving, shared by its sources
    prob = position.shortfall_probability(dpos, stock[d], 0.0, ratio[d])
    cost = qty * arcs["cost_per_unit"].to_numpy(float)
    out = pd.DataFrame(
        {
            "sku_id": arcs["sku_id"].to_numpy(),
            "location_id": arcs["to_location_id"].to_numpy(),
            "from_location_id": arcs["from_location_id"].to_numpy(),
            "to_location_id": arcs["to_location_id"].to_numpy(),
            "transit_days": arcs["transit_days"].to_numpy().astype("int64"),
            "arrival_date": arcs["arrival_date"].to_numpy(),
            "need_date": arcs["need_date"].to_numpy(),
            "source_projected_stock": stock[s],
            "source_keeps": keep[s],
            "destination_projected_stock": stock[d],
            "destination_backorder_probability": prob,
            "expected_backorders_before": before[d],
            "expected_backorders_after": after,
        }
    )
    penalty = pos["backorder_penalty"].to_numpy(float)[d]
    f = "{:.1f}".format
    reason = (
        "Move "
        + pd.Series(qty).map("{:g}".format).astype(object)
        + " units of "
        + out["sku_id"].astype(str)
        + " from "
        + out["from_location_id"].astype(str)
        + " (projected "
        + pd.Series(stock[s]).map("{:g}".format).astype(object)
        + ", keeps "
        + pd.Series(keep[s]).map("{:g}".format).astype(object)
        + " = P90 demand + safety stock) to "
        + out["to_location_id"].astype(str)
        + " (projected "
        + pd.Series(stock[d]).map("{:g}".format).astype(object)
        + ", P90 demand "
        + pd.Series(dpos["demand_p90"].to_numpy()).map("{:g}".format).astype(object)
        + ", backorder probability "
        + pd.Series(prob).map("{:.0%}".format).astype(object)
        + "); arrives "
        + out["arrival_date"].dt.strftime("%Y-%m-%d")
        + ", need date "
        + out["need_date"].dt.strftime("%Y-%m-%d")
        + "; expected backorders there "
        + pd.Series(before[d]).map(f).astype(object)
        + " -> "
        + pd.Series(after).map(f).astype(object)
        + ", this transfer saves "
        + pd.Series(saved).map(f).astype(object)
        + " units worth "
        + pd.Series(saved * penalty).map("{:.0f}".format).astype(object)
        + " for a transfer cost of "
        + pd.Series(cost).map("{:.0f}".format).astype(object)
    )
    out = add_recommendation_columns(
        out,
        action="transfer",
        subject=out["from_location_id"],
        quantity=qty,
        expected_units_saved=saved,
        unit_penalty=penalty,
        cost=cost,
        reason=reason,
    )
    return out.sort_values("net_benefit", ascending=False, ignore_index=True)


def _empty() -> pd.DataFrame:
    """No transfer, with the same columns and dtypes as a non-empty result."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in OUTPUT_DTYPES.items()})
