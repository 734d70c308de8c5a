"""Baselines that every backorder model is reported beside.

The rule is what a planner does without a model: flag SKUs whose projected stock at lead time
is below zero (its score is the shortfall, so it can also be ranked). Logistic regression on
scaled features is the simplest learned model; if LightGBM does not beat both, it is not earning
its complexity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler


def projected_stock_rule_score(
    features: pd.DataFrame, column: str = "projected_stock_at_lead_time"
) -> np.ndarray:
    """Higher when projected stock at lead time is lower; > 0 exactly when it is below zero."""
    if column not in features:
        raise ValueError(f"rule baseline: column {column!r} not in features")
    return -features[column].fillna(0.0).to_numpy(dtype=float)


def _signed_log(x: np.ndarray) -> np.ndarray:
    """Quantities span 0..10^6; a signed log keeps the linear model from chasing outliers."""
    return np.sign(x) * np.log1p(np.abs(x))


def logistic_baseline(C: float = 1.0) -> Pipeline:
    """Impute, signed-log, scale, class-balanced logistic regression."""
    return make_pipeline(
        SimpleImputer(strategy="median"),
        FunctionTransformer(_signed_log),
        StandardScaler(),
        LogisticRegression(C=C, class_weight="balanced", max_iter=2000),
    )
