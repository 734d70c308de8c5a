"""Replenishment parameters per SKU-location: dynamic safety stock, reorder point, order quantity.

Recomputed from the latest demand and lead-time quantiles, so the buffers grow when demand or
supplier lead times get more variable and shrink when they calm down. Continuous review
``(s, Q)``: daily demand with mean ``mu_d`` and s.d. ``sigma_d`` (days independent), a lead time
with mean ``mu_L`` and s.d. ``sigma_L``; demand over the lead time has s.d.
``sigma_DLT = sqrt(mu_L sigma_d^2 + mu_d^2 sigma_L^2)``.

- safety stock ``SS = z(service_level) * sigma_DLT``
- reorder point ``ROP = mu_d * mu_L + SS``
- order quantity ``Q = max(EOQ, moq)`` with
  ``EOQ = sqrt(2 * 365 mu_d * order_cost / (holding_cost_rate * unit_cost))``
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from contracts.keys import SKU_LOCATION
from decisions import quantiles
from decisions.inputs import (
    SKU_LOCATION_COLUMNS,
    quantile_columns,
    require_columns,
    require_ordered_quantiles,
    require_unique,
)
from decisions.recommendation import add_recommendation_columns, no_recommendations

ITEM_COLUMNS = {
    **SKU_LOCATION_COLUMNS,
    **quantile_columns("demand"),  # demand over the next horizon_days
    "horizon_days": "positive",
    **quantile_columns("lead_time"),  # days from order to receipt
    "unit_cost": "positive",
    "holding_cost_rate": "positive",  # annual, fraction of unit cost (locations table)
    "order_cost": "nonneg",  # fixed cost per purchase order
}
POSITION_COLUMNS = {"on_hand": "nonneg", "allocated": "nonneg", "inbound_quantity": "nonneg"}
DAYS_PER_YEAR = 365.0


def replenishment_parameters(items: pd.DataFrame, service_level: float = 0.95) -> pd.DataFrame:
    """Safety stock, reorder point and order quantity per SKU-location of ``items``.

    ``items`` columns: ``ITEM_COLUMNS``; optional ``moq`` and a per-row ``service_level`` that
    overrides the argument. Safety stock and reorder point are rounded up to whole units.
    """
    require_columns(items, "items", ITEM_COLUMNS)
    require_ordered_quantiles(items, "items", "demand")
    require_ordered_quantiles(items, "items", "lead_time")
    require_unique(items, "items", SKU_LOCATION)
    level = (
        items["service_level"].to_numpy(float)
        if "service_level" in items.columns
        else np.full(len(items), float(service_level))
    )
    if ((level <= 0.5) | (level >= 1)).any():
        raise ValueError("service_level must be in (0.5, 1)")
    moq = items["moq"].fillna(0).to_numpy(float) if "moq" in items.columns else np.zeros(len(items))

    horizon = items["horizon_days"].to_numpy(float)
    demand = [items[f"demand_{s}"].to_numpy(float) for s in ("p10", "p50", "p90")]
    lead = [items[f"lead_time_{s}"].to_numpy(float) for s in ("p10", "p50", "p90")]
    mu_d = np.maximum(quantiles.mean(*demand), 0.0) / horizon
    sigma_d = quantiles.std(*demand) / np.sqrt(horizon)
    mu_l = np.maximum(quantiles.mean(*lead), 0.0)
    sigma_l = quantiles.std(*lead)
    sigma_dlt = np.sqrt(mu_l * sigma_d**2 + mu_d**2 * sigma_l**2)
    z = ndtri(level)
    safety = np.ceil(z * sigma_dlt - 1e-9)
    annual = mu_d * DAYS_PER_YEAR
    holding = items["holding_cost_rate"].to_numpy(float) * items["unit_cost"].to_numpy(float)
    eoq = np.sqrt(2.0 * annual * items["order_cost"].to_numpy(float) / holding)

    out = items[SKU_LOCATION].copy()
    out["daily_demand_mean"] = mu_d
    out["daily_demand_std"] = sigma_d
    out["lead_time_mean"] = mu_l
    out["lead_time_std"] = sigma_l
    out["lead_time_demand_mean"] = mu_d * mu_l
    out["lead_time_demand_std"] = sigma_dlt
    out["service_level"] = level
    out["safety_stock"] = safety
    out["reorder_point"] = np.ceil(mu_d * mu_l - 1e-9) + safety
    out["eoq"] = eoq
    out["order_quantity"] = np.maximum(np.ceil(eoq - 1e-9), np.maximum(moq, 1.0))
    return out


def reorder_recommendations(items: pd.DataFrame, parameters: pd.DataFrame) -> pd.DataFrame:
    """Order ``order_quantity`` now where the inventory position is at or below the reorder point.

    ``items`` needs ``on_hand, allocated, inbound_quantity`` (inventory position = on_hand -
    allocated + inbound) and optionally ``backorder_penalty`` and ``order_cost``. The expected
    units saved are the lead-time shortfall the order removes.
    """
    require_columns(items, "items", {**SKU_LOCATION_COLUMNS, **POSITION_COLUMNS})
    keep = (
        SKU_LOCATION
        + list(POSITION_COLUMNS)
        + [c for c in ("backorder_penalty", "order_cost") if c in items]
    )
    df = parameters.merge(items[keep], on=SKU_LOCATION, how="inner", validate="one_to_one")
    df["inventory_position"] = df["on_hand"] - df["allocated"] + df["inbound_quantity"]
    df = df[df["inventory_position"] <= df["reorder_point"]].copy()
    if df.empty:
        return no_recommendations(df, "replenish")
    mu, sd = df["lead_time_demand_mean"].to_numpy(), df["lead_time_demand_std"].to_numpy()
    normal = (
        mu - quantiles.Z90 * sd,
        mu,
        mu + quantiles.Z90 * sd,
    )  # symmetric split normal = normal
    ip = df["inventory_position"].to_numpy(float)
    q = df["order_quantity"].to_numpy(float)
    saved = quantiles.expected_shortfall(ip, *normal) - quantiles.expected_shortfall(
        ip + q, *normal
    )
    penalty = df["backorder_penalty"] if "backorder_penalty" in df else 0.0
    cost = df["order_cost"] if "order_cost" in df else 0.0
    g = "{:g}".format
    reason = (
        "Inventory position "
        + df["inventory_position"].map(g).astype(object)
        + " is at or below the reorder point "
        + df["reorder_point"].map(g).astype(object)
        + " (lead-time demand "
        + df["lead_time_demand_mean"].map("{:.1f}".format).astype(object)
        + " + safety stock "
        + df["safety_stock"].map(g).astype(object)
        + " for "
        + df["service_level"].map("{:.0%}".format).astype(object)
        + " service): order "
        + df["order_quantity"].map(g).astype(object)
        + " units (EOQ "
        + df["eoq"].map("{:.0f}".format).astype(object)
        + "); avoids "
        + pd.Series(saved, index=df.index).map("{:.1f}".format).astype(object)
        + " expected backorder units over the lead time"
    )
    return add_recommendation_columns(
        df,
        action="replenish",
        subject="purchase order",
        quantity=q,
        expected_units_saved=saved,
        unit_penalty=penalty,
        cost=cost,
        reason=reason,
    )
