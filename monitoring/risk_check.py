"""One monitoring pass over the backorder-risk model: drift of its inputs and scores, and decay.

The reference is the held-out frame logged with the champion (features, ``prediction``,
``label``); the current data are logged lines of the window, their score renamed to match. The
reference's own PR-AUC is the bar the labelled lines are held to, so both sides are measured the
same way on data the model did not train on. Drift is judged only once the window holds the
minimum logged days and lines; the request features (``features.order_line.request_feature_names``)
are reported as the request mix, apart from the model-state features.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.order_line import request_feature_names
from monitoring.drift import DriftResult, DriftThresholds, measure_drift
from monitoring.evidence import MinimumWindow, logged_evidence
from monitoring.prediction_window import PREDICTION_COLUMN
from monitoring.retraining import PerformanceThresholds, decide_retraining, labelled_performance

REFERENCE_SCORE, LABEL = "prediction", "label"


@dataclass(frozen=True)
class ModelCheck:
    """Whether one registered model should be retrained, why, and what was measured."""

    model_name: str
    retrain: bool
    reasons: list[str]
    details: dict[str, object] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        return {"retrain": self.retrain, "reasons": self.reasons, **self.details}


def monitored_features(reference: pd.DataFrame, current: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Numeric reference features that the log also holds, and those it lacks."""
    candidates = [
        c
        for c in reference.columns
        if c not in (REFERENCE_SCORE, LABEL) and pd.api.types.is_numeric_dtype(reference[c])
    ]
    shared = [c for c in candidates if c in current.columns]
    if not shared:
        raise ValueError(
            f"no reference feature is in the prediction log (reference has {candidates[:10]}...)"
        )
    return shared, [c for c in candidates if c not in current.columns]


def check_risk_model(
    reference: pd.DataFrame,
    window: pd.DataFrame,
    labelled: pd.DataFrame | None,
    drift_thresholds: DriftThresholds,
    performance_thresholds: PerformanceThresholds,
    minimum_window: MinimumWindow,
    model_name: str = "backorder_risk",
) -> tuple[ModelCheck, DriftResult]:
    """Drift of the window against the reference, and PR-AUC of labelled lines against its PR-AUC.

    ``window`` is prediction-log lines with their ``logged_at``: its distinct days and lines are
    the evidence held against ``minimum_window``.
    """
    if REFERENCE_SCORE not in reference.columns:
        raise ValueError(f"reference of {model_name}: no {REFERENCE_SCORE!r} column")
    current = window.rename(columns={PREDICTION_COLUMN: REFERENCE_SCORE})
    features, not_logged = monitored_features(reference, current)
    drift = measure_drift(
        reference,
        current,
        features,
        REFERENCE_SCORE,
        drift_thresholds,
        request_columns=request_feature_names(),
        evidence=logged_evidence(window, minimum_window),
    )
    reference_performance: dict[str, float] = {}
    if LABEL in reference.columns:
        known = reference[LABEL].notna().to_numpy() & (reference[LABEL].to_numpy() >= 0)
        reference_performance = labelled_performance(
            reference.loc[known, LABEL].to_numpy(dtype=int),
            reference.loc[known, REFERENCE_SCORE].to_numpy(dtype=float),
        )
    scored = None
    if labelled is not None:
        scored = labelled.rename(columns={PREDICTION_COLUMN: REFERENCE_SCORE})
    decision = decide_retraining(
        drift,
        scored,
        reference_performance.get("pr_auc"),
        label_column=LABEL,
        score_column=REFERENCE_SCORE,
        thresholds=performance_thresholds,
    )
    details: dict[str, object] = {
        "current_rows": int(len(window)),
        "reference_rows": int(len(reference)),
        "features_not_logged": not_logged,
        "drift": drift.summary(),
        "performance": _rounded(decision.performance),
        "reference_performance": _rounded(reference_performance),
    }
    return ModelCheck(model_name, decision.retrain, decision.reasons, details), drift


def _rounded(metrics: dict[str, float]) -> dict[str, float]:
    return {k: float(np.round(v, 6)) for k, v in metrics.items()}
