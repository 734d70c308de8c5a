"""A ``StateView`` as the decision engine's input frames (vectorized, one row per SKU-location).

Keys are the simulator's integer indices: ``sku_id`` = SKU index, ``location_id`` = location
index, so SKU-location ``n = sku_id * L + location_id`` (the convention ``checked`` enforces).
Demand quantiles come from the documented history fallback: the mean and s.d. of daily demand
over the last ``window`` days, scaled to the horizon as a normal (days independent).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from decisions.quantiles import Z90
from simulation.policy import StateView

EPOCH = pd.Timestamp("2000-01-01")  # any fixed date: the engine only uses date differences


def day_date(day: np.ndarray | int) -> np.ndarray:
    """Simulator day numbers as datetime64 dates."""
    return (EPOCH + pd.to_timedelta(np.asarray(day), unit="D")).to_numpy()


def demand_quantiles(view: StateView, horizon: float, window: int) -> np.ndarray:
    """``(N, 3)`` p10/p50/p90 of demand over the next ``horizon`` days from recent history."""
    history = view.demand_history[-window:].astype(float)
    mean = history.mean(axis=0)
    sigma = history.std(axis=0, ddof=1) if len(history) > 1 else np.zeros_like(mean)
    centre, spread = mean * horizon, Z90 * sigma * np.sqrt(horizon)
    return np.column_stack([np.maximum(centre - spread, 0.0), centre, centre + spread])


def positions(
    view: StateView,
    demand: np.ndarray,
    horizon: int,
    penalty: np.ndarray,
    inbound: np.ndarray | None = None,
) -> pd.DataFrame:
    """Positions frame: free stock, demand to ``need_date = day + horizon``, penalty per unit."""
    terms = view.terms
    frame = pd.DataFrame(
        {
            "sku_id": terms.sku,
            "location_id": terms.location,
            "on_hand": view.on_hand.astype(float),
            "allocated": np.minimum(view.backlog, view.on_hand).astype(float),
            "demand_p10": demand[:, 0],
            "demand_p50": demand[:, 1],
            "demand_p90": demand[:, 2],
            "need_date": day_date(np.full(len(view.on_hand), view.day + horizon)),
            "backorder_penalty": penalty,
        }
    )
    # Backlog beyond the shelf is demand already owed: it adds to what the horizon must cover.
    owed = np.maximum(view.backlog - view.on_hand, 0).astype(float)
    for column in ("demand_p10", "demand_p50", "demand_p90"):
        frame[column] += owed
    if inbound is not None:
        frame["inbound_quantity"] = inbound
    return frame


def lanes(view: StateView) -> pd.DataFrame:
    """All ordered pairs of distinct locations with their transit days and unit cost."""
    transit = view.terms.lane_transit_days
    src, dst = np.nonzero(~np.eye(transit.shape[0], dtype=bool))
    return pd.DataFrame(
        {
            "from_location_id": src,
            "to_location_id": dst,
            "transit_days": transit[src, dst].astype(float),
            "cost_per_unit": view.terms.lane_cost[src, dst].astype(float),
        }
    )


def open_pos(view: StateView, delays: np.ndarray, per_line: np.ndarray | None = None) -> pd.DataFrame:
    """Open PO lines keyed by SKU-location ``n`` (as ``sku_id``, location 0) for expedites.

    Delay quantiles are the supplier's learnt ones (or ``per_line``, one row per open line, e.g.
    a lead-time model's) until an ASN exists, then all three equal the announced ``eta - promised``.
    """
    supplier = view.terms.supplier[view.po_n, view.po_slot]
    quantile = delays[supplier] if per_line is None else per_line
    announced = view.po_eta >= 0
    exact = (view.po_eta - view.po_promised_day).astype(float)[:, None]
    quantile = np.where(announced[:, None], exact, quantile)
    return pd.DataFrame(
        {
            "po_id": view.po_id,
            "sku_id": view.po_n,
            "location_id": 0,
            "supplier_id": view.po_slot,
            "quantity": view.po_quantity.astype(float),
            "promised_date": day_date(view.po_promised_day),
            "delay_p10": quantile[:, 0],
            "delay_p50": quantile[:, 1],
            "delay_p90": quantile[:, 2],
            "expedited": view.po_expedited.astype(bool),
        }
    )
