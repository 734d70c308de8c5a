"""Train and evaluate the backorder-risk classifier beside its baselines, on ordered folds.

``train_backorder_risk`` is pure (frames in, fitted model and plain-data report out) so that a
pipeline can log the report's params, metrics and tables to MLflow later without re-running.
Metrics are computed on the test fold only, which no model, calibrator or threshold has seen.

The training fold (and the rows of the final refit) may be Dask frames: the boosters then grow on
the cluster (``training.engine``) while the validation, calibration and test folds, small by
comparison, are pandas frames in this process, where calibration, threshold and metrics run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from training.engine import DEFAULT_THREADS, ModelSpec, is_dask
from training.recipes import LOGISTIC_BASELINE, RULE_BASELINE, ClassifierRecipe
from training.risk.baselines import logistic_baseline, projected_stock_rule_score
from training.risk.calibration import ProbabilityCalibrator
from training.risk.metrics import evaluate, reliability_curve, segment_metrics
from training.risk.model import BoosterClassifier
from training.risk.threshold import choose_threshold
from training.splits import FOLD_NAMES, Folds

# Rows of a Dask training fold the logistic baseline learns from (a seeded sample, in this process).
LOGISTIC_SAMPLE_ROWS = 200_000


@dataclass(frozen=True)
class FoldFrames:
    """Features and labels of each fold, plus every labelled row (``all_rows``, for the refit).

    ``train`` and ``all_rows`` are pandas or Dask (frame, labels); the other folds are pandas.
    """

    train: tuple[Any, Any]
    validation: tuple[pd.DataFrame, np.ndarray]
    calibration: tuple[pd.DataFrame, np.ndarray]
    test: tuple[pd.DataFrame, np.ndarray]
    all_rows: tuple[Any, Any]

    @classmethod
    def from_folds(cls, X: pd.DataFrame, y: np.ndarray, folds: Folds) -> FoldFrames:
        y = np.asarray(y, dtype=bool)
        parts = {name: (X.iloc[idx], y[idx]) for name, idx in vars(folds).items()}
        rows = folds.fit_rows()
        return cls(**parts, all_rows=(X.iloc[rows], y[rows]))

    def sizes(self) -> dict[str, int]:
        """Rows per fold (a Dask fold's rows are counted on the cluster)."""
        labels = [getattr(self, name)[1] for name in FOLD_NAMES]
        counts = [y.size for y in labels]
        if any(is_dask(y) for y in labels):
            import dask

            counts = dask.compute(*counts)
        return {name: int(n) for name, n in zip(FOLD_NAMES, counts, strict=True)}


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
    baselines on test (the logistic baseline learns from every column of ``X``). ``segments``
    are aligned with the rows of ``X``."""
    test_segments = None if segments is None else _rows(segments, folds.test)
    return train_on_folds(FoldFrames.from_folds(X, y, folds), recipe, features, num_threads, test_segments)


def _rows(segments: pd.Series | pd.DataFrame, index: np.ndarray) -> pd.Series | pd.DataFrame | np.ndarray:
    if isinstance(segments, pd.DataFrame | pd.Series):
        return segments.iloc[index]
    return np.asarray(segments)[index]


def _logistic_rows(frames: FoldFrames) -> tuple[pd.DataFrame, np.ndarray]:
    """The logistic baseline's training rows: the training fold, or a seeded sample of at most
    ``LOGISTIC_SAMPLE_ROWS`` rows of it when it is a Dask frame."""
    X, y = frames.train
    if not is_dask(X):
        return X, y
    share = min(1.0, LOGISTIC_SAMPLE_ROWS / max(int(y.size.compute()), 1))
    sample = X.assign(_label=y).sample(frac=share, random_state=0).compute()
    return sample.drop(columns="_label"), sample["_label"].to_numpy(dtype=bool)


def train_on_folds(
    frames: FoldFrames,
    recipe: ClassifierRecipe,
    features: Sequence[str],
    num_threads: int = DEFAULT_THREADS,
    test_segments: pd.Series | pd.DataFrame | np.ndarray | None = None,
) -> RiskRun:
    """``train_backorder_risk`` on folds already cut (pandas, or a Dask training fold);
    ``test_segments`` are aligned with the test rows."""
    spec = risk_spec(recipe, features, num_threads)
    model = BoosterClassifier(
        spec, n_seeds=recipe.n_seeds, positive_weight=recipe.positive_weight, feature_views=recipe.feature_views
    )
    model.fit(*frames.train, validation=frames.validation, calibration=frames.calibration)
    x_test, y_test = frames.test
    x_cal, y_cal = frames.calibration

    scores = {"lightgbm": model.predict_proba(x_test)[:, 1]}
    if RULE_BASELINE in recipe.baselines:
        rule = recipe.rule_column
        rule_cal = ProbabilityCalibrator("platt").fit(projected_stock_rule_score(x_cal, rule), y_cal)
        scores[RULE_BASELINE] = rule_cal.predict(projected_stock_rule_score(x_test, rule))
    if LOGISTIC_BASELINE in recipe.baselines:
        logit = logistic_baseline().fit(*_logistic_rows(frames))
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
    if isinstance(test_segments, pd.DataFrame):  # one table per segment column
        for column in test_segments.columns:
            tables[f"segments_{column}"] = segment_metrics(
                y_test, scores["lightgbm"], test_segments[column].to_numpy()
            )
    elif test_segments is not None:
        tables["segments_lightgbm"] = segment_metrics(y_test, scores["lightgbm"], np.asarray(test_segments))
    sizes = frames.sizes()
    params = {
        **spec.params,
        "n_seeds": recipe.n_seeds,
        "positive_weight": recipe.positive_weight,
        "best_iterations": model.best_iterations_,
        "calibration": model.calibrator_.method_,
        "backorder_penalty": recipe.backorder_penalty,
        "action_cost": recipe.action_cost,
        "fold_sizes": sizes,
        "refit_on_all_rows": recipe.refit_on_all_rows,
        "scale_refit_rounds": recipe.scale_refit_rounds,
        "feature_views": [list(view) for view in recipe.feature_views] if recipe.feature_views else None,
    }
    if recipe.refit_on_all_rows:
        scale = sum(sizes.values()) / sizes["train"] if recipe.scale_refit_rounds else 1.0
        model = model.refit(*frames.all_rows, rounds_scale=scale)
    model.set_params(threshold=choice.threshold)
    return RiskRun(
        model=model, params=params, metrics=metrics, threshold=threshold, tables=tables,
        test_scores=scores,
    )
