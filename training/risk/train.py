"""Train and evaluate the backorder-risk classifier beside its baselines, on ordered folds.

``train_backorder_risk`` is pure (frames in, fitted model and plain-data report out) so that a
pipeline can log the report's params, metrics and tables to MLflow later without re-running.
Metrics are computed on the test fold only, which no model, calibrator or threshold has seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from training.engine import DEFAULT_THREADS, ModelSpec
from training.recipes import LOGISTIC_BASELINE, RULE_BASELINE, ClassifierRecipe
from training.risk.baselines import logistic_baseline, projected_stock_rule_score
from training.risk.calibration import ProbabilityCalibrator
from training.risk.metrics import evaluate, reliability_curve, segment_metrics
from training.risk.model import BoosterClassifier
from training.risk.threshold import choose_threshold
from training.splits import Folds


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


def risk_spec(recipe: ClassifierRecipe, features: Sequence[str], num_threads: int = DEFAULT_THREADS) -> ModelSpec:
    """The boosters' spec: the recipe's trees and rounds on ``features``."""
    return ModelSpec(
        name=recipe.model_name,
        objective="binary",
        features=tuple(features),
        params=dict(recipe.params),
        num_boost_round=recipe.num_boost_round,
        num_threads=num_threads,
    )


def train_backorder_risk(
    X: pd.DataFrame,
    y: np.ndarray,
    folds: Folds,
    recipe: ClassifierRecipe,
    features: Sequence[str],
    num_threads: int = DEFAULT_THREADS,
    segments: pd.Series | pd.DataFrame | None = None,
) -> RiskRun:
    """Fit LightGBM on ``features``, calibration and cost threshold; evaluate it and the recipe's
    baselines on test (the logistic baseline learns from every column of ``X``)."""
    y = np.asarray(y, dtype=bool)
    part = {name: (X.iloc[idx], y[idx]) for name, idx in vars(folds).items()}
    spec = risk_spec(recipe, features, num_threads)
    model = BoosterClassifier(
        spec, n_seeds=recipe.n_seeds, positive_weight=recipe.positive_weight, feature_views=recipe.feature_views
    )
    model.fit(*part["train"], validation=part["validation"], calibration=part["calibration"])
    x_test, y_test = part["test"]
    x_cal, y_cal = part["calibration"]

    scores = {"lightgbm": model.predict_proba(x_test)[:, 1]}
    if RULE_BASELINE in recipe.baselines:
        rule = recipe.rule_column
        rule_cal = ProbabilityCalibrator("platt").fit(projected_stock_rule_score(x_cal, rule), y_cal)
        scores[RULE_BASELINE] = rule_cal.predict(projected_stock_rule_score(x_test, rule))
    if LOGISTIC_BASELINE in recipe.baselines:
        logit = logistic_baseline().fit(*part["train"])
        logit_cal = ProbabilityCalibrator().fit(logit.decision_function(x_cal), y_cal)
        scores[LOGISTIC_BASELINE] = logit_cal.predict(logit.decision_function(x_test))
    metrics = {name: evaluate(y_test, s) for name, s in scores.items()}

    choice = choose_threshold(
        y_cal, model.predict_proba(x_cal)[:, 1], recipe.backorder_penalty, recipe.action_cost
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
        "n_seeds": recipe.n_seeds,
        "positive_weight": recipe.positive_weight,
        "best_iterations": model.best_iterations_,
        "calibration": model.calibrator_.method_,
        "backorder_penalty": recipe.backorder_penalty,
        "action_cost": recipe.action_cost,
        "fold_sizes": folds.sizes(),
        "refit_on_all_rows": recipe.refit_on_all_rows,
        "scale_refit_rounds": recipe.scale_refit_rounds,
        "feature_views": [list(view) for view in recipe.feature_views] if recipe.feature_views else None,
    }
    if recipe.refit_on_all_rows:
        rows = folds.fit_rows()
        scale = len(rows) / len(folds.train) if recipe.scale_refit_rounds else 1.0
        model = model.refit(X.iloc[rows], y[rows], rounds_scale=scale)
    model.set_params(threshold=choice.threshold)
    return RiskRun(
        model=model, params=params, metrics=metrics, threshold=threshold, tables=tables,
        test_scores=scores,
    )
