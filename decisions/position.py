"""A SKU-location's projected position and expected backorders, shared by the stock movers.

Reallocation, expedites and emergency orders all ask one question: how many units will this
SKU-location fail to serve before its need date, and how many fewer with ``x`` more units? The
answer combines the demand quantiles over the horizon with, when the risk model supplies it,
its calibrated backorder probability: the demand quantiles give the *shape* of the shortfall,
the risk model the *probability* that there is one at all (it also sees supply risk the demand
forecast cannot). Formally ``E[backorders](x) = r * E[(D - A - x)+]`` with
``r = backorder_probability / P(D > A)``, which keeps ``P(short) = backorder_probability`` at
``x = 0`` and stays convex and decreasing in ``x``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contracts.keys import SKU_LOCATION
from decisions import quantiles
from decisions.inputs import (
    SKU_LOCATION_COLUMNS,
    quantile_columns,
    require_columns,
    require_ordered_quantiles,
    require_unique,
)

POSITION_COLUMNS = {
    **SKU_LOCATION_COLUMNS,
    "on_hand": "nonneg",
    "allocated": "nonneg",
    **quantile_columns("demand"),  # demand from as_of to need_date
    "need_date": "date",
    "backorder_penalty": "nonneg",
}
OPTIONAL_COLUMNS = {
    "inbound_quantity": "nonneg",
    "safety_stock": "nonneg",
    "backorder_probability": "nonneg",
}
_MIN_SURVIVAL = 1e-6  # below this the demand forecast says "no shortfall": ignore the risk scaling


def check_positions(positions: pd.DataFrame) -> pd.DataFrame:
    """Validate positions and return a copy with optional columns defaulted to 0 / absent."""
    require_columns(positions, "positions", POSITION_COLUMNS)
    require_ordered_quantiles(positions, "positions", "demand")
    require_unique(positions, "positions", SKU_LOCATION)
    present = {c: k for c, k in OPTIONAL_COLUMNS.items() if c in positions.columns}
    require_columns(positions, "positions", present)
    if "backorder_probability" in present and (positions["backorder_probability"] > 1).any():
        raise ValueError("positions.backorder_probability must be <= 1")
    out = positions.copy()
    out["need_date"] = out["need_date"].astype("datetime64[ns]")  # one unit for date arithmetic
    for col in ("inbound_quantity", "safety_stock"):
        if col not in out.columns:
            out[col] = 0.0
    return out


def projected_stock(positions: pd.DataFrame) -> np.ndarray:
    """Free stock plus inbound expected by the need date: ``on_hand - allocated + inbound``."""
    free = np.maximum(
        positions["on_hand"].to_numpy(float) - positions["allocated"].to_numpy(float), 0
    )
    return free + positions["inbound_quantity"].to_numpy(float)


def p90_need(positions: pd.DataFrame) -> np.ndarray:
    """What a location keeps for itself: its P90 demand to the need date plus safety stock."""
    return positions["demand_p90"].to_numpy(float) + positions["safety_stock"].to_numpy(float)


def risk_ratio(positions: pd.DataFrame, stock: np.ndarray) -> np.ndarray:
    """Scale ``r`` making the shortfall probability equal the risk model's (1 if it is absent)."""
    if "backorder_probability" not in positions.columns:
        return np.ones(len(positions))
    surv = quantiles.survival(stock, *_demand(positions))
    prob = positions["backorder_probability"].to_numpy(float)
    return np.where(surv > _MIN_SURVIVAL, prob / np.maximum(surv, _MIN_SURVIVAL), 1.0)


def expected_backorders(
    positions: pd.DataFrame, stock: np.ndarray, extra: np.ndarray | float, ratio: np.ndarray
) -> np.ndarray:
    """Expected units short by the need date with ``extra`` more units on top of ``stock``."""
    return ratio * quantiles.expected_shortfall(stock + extra, *_demand(positions))


def backorders_prevented(
    positions: pd.DataFrame, stock: np.ndarray, extra: np.ndarray | float, ratio: np.ndarray
) -> np.ndarray:
    """Expected units short avoided by ``extra`` more units on top of ``stock``.

    Never more than ``extra``: below the stock level ``ratio`` was fitted at, the scaled curve can
    fall faster than one unit per unit added, which no stock can do.
    """
    saved = expected_backorders(positions, stock, 0.0, ratio) - expected_backorders(positions, stock, extra, ratio)
    return np.minimum(saved, extra)


def shortfall_probability(
    positions: pd.DataFrame, stock: np.ndarray, extra: np.ndarray | float, ratio: np.ndarray
) -> np.ndarray:
    """Probability of being short at all with ``extra`` more units (a unit's marginal value)."""
    return np.minimum(ratio * quantiles.survival(stock + extra, *_demand(positions)), 1.0)


def _demand(positions: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(positions[c].to_numpy(float) for c in ("demand_p10", "demand_p50", "demand_p90"))
