"""Train and evaluate the backorder-risk classifier beside its baselines, on ordered folds.

``train_backorder_risk`` is pure (frames in, fitted model and plain-data report out) so that a
pipeline can log the report's params, metrics and tables to MLflow later without re-running.
Metrics are computed on the test fold only, which no model, calibrator or threshold has seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from training.baselines import logistic_baseline, projected_stock_rule_score
from training.calibration import ProbabilityCalibrator
from training.classification_metrics import evaluate, reliability_curve, segment_metrics
from training.engine import ModelSpec
from training.risk_classifier import BoosterClassifier
from training.splits import Folds
from training.threshold import choose_threshold

# Modest, strongly regularised trees: ~1% positives make deep trees memorise a few SKUs.
RISK_PARAMS: dict[str, Any] = {
    "metric": "auc",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 100,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 10.0,
}
POSITIVE_WEIGHT = 10.0


@dataclass(frozen=True)
class RiskConfig:
    backorder_penalty: float = 100.0
    action_cost: float = 5.0
    n_seeds: int = 3
    positive_weight: float = POSITIVE_WEIGHT
    refit_on_all_rows: bool = True
    # Refit with the early-stopping rounds times refit rows / training rows (else the same rounds;
    # the world models keep them, so a refit does not grow the trees the service runs).
    scale_refit_rounds: bool = False
    rule_column: str = "projected_stock_at_lead_time"  # the rule baseline's projected stock
    feature_views: tuple[tuple[str, ...], ...] | None = None  # see BoosterClassifier


@dataclass
class RiskRun:
    """Fitted model and everything worth logging about how it was made."""

    model: BoosterClassifier
    params: dict[str, Any]
    metrics: dict[str, dict[str, float]]
    threshold: dict[str, float]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    # Calibrated test-fold scores per model (before any refit), for plots and references.
    test_scores: dict[str, np.ndarray] = field(default_factory=dict)


def risk_spec(features: tuple[str, ...]) -> ModelSpec:
    return ModelSpec(name="backorder_risk", objective="binary", features=features, params=dict(RISK_PARAMS))


def train_backorder_risk(
    X: pd.DataFrame,
    y: np.ndarray,
    folds: Folds,
    spec: ModelSpec,
    config: RiskConfig = RiskConfig(),
    segments: pd.Series | pd.DataFrame | None = None,
) -> RiskRun:
    """Fit LightGBM, calibration and cost threshold; evaluate it and both baselines on test."""
    y = np.asarray(y, dtype=bool)
    part = {name: (X.iloc[idx], y[idx]) for name, idx in vars(folds).items()}
    model = BoosterClassifier(
        spec, n_seeds=config.n_seeds, positive_weight=config.positive_weight, feature_views=config.feature_views
    )
    model.fit(*part["train"], validation=part["validation"], calibration=part["calibration"])
    x_test, y_test = part["test"]
    x_cal, y_cal = part["calibration"]

    scores = {"lightgbm": model.predict_proba(x_test)[:, 1]}
    rule = config.rule_column
    rule_cal = ProbabilityCalibrator("platt").fit(projected_stock_rule_score(x_cal, rule), y_cal)
    scores["rule_projected_stock"] = rule_cal.predict(projected_stock_rule_score(x_test, rule))
    logit = logistic_baseline().fit(*part["train"])
    logit_cal = ProbabilityCalibrator().fit(logit.decision_function(x_cal), y_cal)
    scores["logistic_regression"] = logit_cal.predict(logit.decision_function(x_test))
    metrics = {name: evaluate(y_test, s) for name, s in scores.items()}

    choice = choose_threshold(
        y_cal, model.predict_proba(x_cal)[:, 1], config.backorder_penalty, config.action_cost
    )
    test_flag = scores["lightgbm"] >= choice.threshold
    threshold = {
        **choice.as_dict(),
        "test_recall": float((test_flag & y_test).sum() / max(y_test.sum(), 1)),
        "test_precision": float((test_flag & y_test).sum() / max(test_flag.sum(), 1)),
        "test_flagged_share": float(test_flag.mean()),
    }
    tables = {"reliability_lightgbm": reliability_curve(y_test, scores["lightgbm"])}
    if isinstance(segments, pd.DataFrame):  # one table per segment column
        for column in segments.columns:
            tables[f"segments_{column}"] = segment_metrics(
                y_test, scores["lightgbm"], segments[column].to_numpy()[folds.test]
            )
    elif segments is not None:
        tables["segments_lightgbm"] = segment_metrics(
            y_test, scores["lightgbm"], np.asarray(segments)[folds.test]
        )
    params = {
        **spec.params,
        "n_seeds": config.n_seeds,
        "positive_weight": config.positive_weight,
        "best_iterations": model.best_iterations_,
        "calibration": model.calibrator_.method_,
        "backorder_penalty": config.backorder_penalty,
        "action_cost": config.action_cost,
        "fold_sizes": folds.sizes(),
        "refit_on_all_rows": config.refit_on_all_rows,
        "scale_refit_rounds": config.scale_refit_rounds,
        "feature_views": [list(view) for view in config.feature_views] if config.feature_views else None,
    }
    if config.refit_on_all_rows:
        rows = folds.fit_rows()
        scale = len(rows) / len(folds.train) if config.scale_refit_rounds else 1.0
        model = model.refit(X.iloc[rows], y[rows], rounds_scale=scale)
    model.set_params(threshold=choice.threshold)
    return RiskRun(
        model=model, params=params, metrics=metrics, threshold=threshold, tables=tables,
        test_scores=scores,
    )
