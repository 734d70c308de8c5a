"""A supply shock with a demand surge mid-period: monitoring flags it, and retraining recovers.

A small simulated world runs normally until day 150, then every supplier delivers two weeks late
and demand doubles (``SimulationConfig.shock_*``). The order-line risk model trained before the
change is scored on the weeks after it; the monitoring steps must call for retraining, and a model
retrained on data including the change must beat the stale one on a later post-change window.
The same world without the shock is the control: its predictions do not drift.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from features.build import asof_feature_names, build_feature_tables, sku_location_feature_names
from features.order_line import request_feature_names, request_features
from monitoring.drift import DriftThresholds
from monitoring.evidence import MinimumWindow
from monitoring.prediction_window import PREDICTION_COLUMN
from monitoring.retraining import PerformanceThresholds
from monitoring.risk_check import check_risk_model
from simulation import scenario_config, simulate
from training.recipes import SKU_LOCATION_RISK
from training.risk.metrics import brier, pr_auc
from training.risk.train import train_backorder_risk
from training.splits import time_split

START, SHOCK_DAY = pd.Timestamp("2024-01-01"), 150
# Features the simulated world produces (no as-of model outputs are fed, so their features are empty).
FEATURES = tuple(
    c for c in sku_location_feature_names() if c not in ("backordered", *asof_feature_names())
) + tuple(request_feature_names())


def _order_lines(shock: bool) -> pd.DataFrame:
    """Labelled order lines with the previous day's SKU-location features (point in time)."""
    config = scenario_config(
        "baseline", seed=4, n_skus=60, n_locations=2, n_suppliers=6, n_days=330, n_customers=200,
        shock_start_day=SHOCK_DAY if shock else None, shock_delay_days=14, shock_demand_factor=2.0,
    )
    built = build_feature_tables(simulate(config).tables)
    lines = built.order_line_labels[built.order_line_labels["label"] >= 0]
    lines = lines.assign(snapshot_date=lines["request_time"].dt.floor("D") - pd.Timedelta(days=1))
    rows = lines.merge(
        built.sku_location_features.drop(columns=["event_timestamp"]),
        on=["sku_id", "location_id", "snapshot_date"],
        how="left",
    )
    rows = pd.concat([rows, request_features(rows, rows)], axis=1)
    rows["projected_stock_at_lead_time"] = rows["projected_position_lt"] - rows["line_quantity"]
    rows = rows.sort_values("request_time", kind="stable").reset_index(drop=True)
    return rows.assign(day=(rows["request_time"] - START).dt.days)


def _days(rows: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    return rows[(rows["day"] >= first) & (rows["day"] < last)].reset_index(drop=True)


def _train(rows: pd.DataFrame, first: int, last: int, cutoffs: tuple[int, int, int]):
    """The project's risk training on days [first, last); returns the model and its test-fold reference."""
    part = _days(rows, first, last)
    folds = time_split(part, "request_time", [START + pd.Timedelta(days=c) for c in cutoffs])
    X = part[[*FEATURES, "projected_stock_at_lead_time"]]
    recipe = replace(
        SKU_LOCATION_RISK.recipe, n_seeds=1, num_boost_round=2000, rule_column="projected_stock_at_lead_time"
    )
    # One thread: OpenMP threads spin badly on a shared 2-core runner.
    run = train_backorder_risk(X, part["label"].to_numpy(), folds, recipe, FEATURES, num_threads=1)
    test = part.iloc[folds.test]
    reference = test[list(FEATURES)].assign(
        prediction=run.model.predict_proba(test[list(FEATURES)])[:, 1], label=test["label"].to_numpy()
    )
    return run.model, reference


def _monitor(model, reference: pd.DataFrame, rows: pd.DataFrame):
    """Score the weeks after the change with ``model`` and run the monitoring check on them."""
    window = _days(rows, SHOCK_DAY + 15, SHOCK_DAY + 65)
    scored = window[list(FEATURES)].assign(
        **{PREDICTION_COLUMN: model.predict_proba(window[list(FEATURES)])[:, 1]}, logged_at=window["request_time"]
    )
    labelled = scored.assign(label=window["label"].to_numpy())
    return check_risk_model(reference, scored, labelled, DriftThresholds(), PerformanceThresholds(), MinimumWindow())


@pytest.mark.slow
def test_shock_is_flagged_for_retraining_and_the_retrained_model_recovers():
    shocked, control = _order_lines(shock=True), _order_lines(shock=False)
    stale, reference = _train(shocked, 30, SHOCK_DAY, (100, 120, 135))
    check, drift = _monitor(stale, reference, shocked)
    assert check.retrain
    assert drift.prediction_drifted and any("prediction drift" in r for r in check.reasons)
    assert "supplier_delay_mean_90" in drift.drifted_columns
    assert check.details["performance"]["rows"] > 1000
    assert any("miscalibrated" in r for r in check.reasons)  # outcomes show decay, not just drift

    control_model, control_reference = _train(control, 30, SHOCK_DAY, (100, 120, 135))
    _, control_drift = _monitor(control_model, control_reference, control)
    assert not control_drift.prediction_drifted
    assert drift.prediction_score > 5 * control_drift.prediction_score

    fresh, _ = _train(shocked, 90, 255, (200, 225, 240))  # retrained with post-change data
    later = _days(shocked, 255, 300)
    y, X = later["label"].to_numpy(), later[list(FEATURES)]
    stale_p, fresh_p = stale.predict_proba(X)[:, 1], fresh.predict_proba(X)[:, 1]
    assert brier(y, fresh_p) < 0.9 * brier(y, stale_p)
    assert pr_auc(y, fresh_p) > pr_auc(y, stale_p)
    assert np.isfinite(fresh_p).all()
