"""A small generated world for the serving tests: stock, online features and a risk model fitted on
lines whose backorder odds rise with the shortfall (imported by the fixtures and by the service
target the multi-worker tests run under ``bentoml serve``)."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
from serving_helpers import LOCATIONS, SKUS, TODAY

from features.order_line import request_features


def generated_stock() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    grid = pd.MultiIndex.from_product([SKUS, LOCATIONS], names=["sku_id", "location_id"])
    frame = grid.to_frame(index=False)
    frame["on_hand"] = rng.integers(0, 60, len(frame)).astype(float)
    frame["allocated"] = np.minimum(frame["on_hand"], rng.integers(0, 20, len(frame))).astype(float)
    return frame


def generated_online_table(stock: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(8)
    return stock.assign(
        available=stock["on_hand"] - stock["allocated"],
        demand_mean_28d=rng.gamma(2.0, 3.0, len(stock)),
        lead_time_mean=rng.uniform(5, 30, len(stock)),
    ).drop(columns=["on_hand", "allocated"])


# Direction of the risk in each stock feature, for a model held to it (``monotone=True``).
STOCK_DIRECTIONS = {"available": -1, "quantity_over_available": 1, "shortfall_qty": 1, "fits_available": -1}


def generated_risk_model(online_table: pd.DataFrame, monotone: bool = False) -> lgb.LGBMClassifier:
    """Fitted on generated lines whose backorder odds rise with the shortfall against stock;
    ``monotone``: the risk never falls as stock falls (LightGBM's monotone constraints), so a
    test can read the stock's effect without the noise of a small model."""
    rng = np.random.default_rng(9)
    n = 3000
    rows = online_table.sample(n, replace=True, random_state=1).reset_index(drop=True)
    requests = pd.DataFrame(
        {
            "quantity": rng.integers(1, 80, n).astype(float),
            "request_time": TODAY,
            "requested_date": TODAY + pd.to_timedelta(rng.integers(0, 30, n), unit="D"),
            "customer_tier": rng.choice(["gold", "silver", "bronze"], n),
        }
    )
    X = pd.concat(
        [rows.drop(columns=["sku_id", "location_id"]), request_features(requests, rows)], axis=1
    )
    logit = 0.08 * X["shortfall_qty"] - 0.05 * X["days_until_requested"] - 1.0
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    constraints = [STOCK_DIRECTIONS.get(c, 0) for c in X.columns] if monotone else None
    return lgb.LGBMClassifier(n_estimators=40, num_leaves=8, verbose=-1, monotone_constraints=constraints).fit(X, y)
