"""Performance once outcomes arrive, and the retraining decision drift and decay lead to."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from monitoring.drift import DriftResult
from training.classification_metrics import brier, pr_auc, roc_auc


@dataclass(frozen=True)
class PerformanceThresholds:
    """Retrain when PR-AUC falls more than ``max_relative_drop`` below the training reference.

    ``min_labelled`` and ``min_positives`` keep a handful of outcomes from triggering anything.
    """

    max_relative_drop: float = 0.2
    min_labelled: int = 200
    min_positives: int = 10


def labelled_performance(y_true: np.ndarray, y_score: np.ndarray) -> dict[str, float]:
    """Ranking and calibration quality of logged scores whose outcome is now known."""
    y_true = np.asarray(y_true)
    if len(np.unique(y_true)) < 2:
        return {"rows": float(len(y_true)), "positives": float(y_true.sum())}
    return {
        "rows": float(len(y_true)),
        "positives": float(y_true.sum()),
        "roc_auc": roc_auc(y_true, y_score),
        "pr_auc": pr_auc(y_true, y_score),
        "brier": brier(y_true, y_score),
    }


@dataclass(frozen=True)
class RetrainingDecision:
    retrain: bool
    reasons: list[str]
    performance: dict[str, float]
    reference_pr_auc: float | None

    def summary(self) -> dict[str, object]:
        return asdict(self)


def decide_retraining(
    drift: DriftResult,
    labelled: pd.DataFrame | None,
    reference_pr_auc: float | None,
    label_column: str = "label",
    score_column: str = "prediction",
    thresholds: PerformanceThresholds | None = None,
) -> RetrainingDecision:
    """Retrain on data drift, prediction drift, or a PR-AUC drop on enough labelled outcomes."""
    thresholds = thresholds or PerformanceThresholds()
    reasons: list[str] = []
    if drift.data_drifted:
        reasons.append(
            f"data drift in {len(drift.drifted_columns)} feature(s) "
            f"({drift.drifted_share:.0%}): {', '.join(drift.drifted_columns)}"
        )
    if drift.prediction_drifted:
        reasons.append(f"prediction drift: PSI {drift.prediction_score:.3f}")
    performance: dict[str, float] = {}
    if labelled is not None and len(labelled):
        performance = labelled_performance(
            labelled[label_column].to_numpy(), labelled[score_column].to_numpy()
        )
        enough = (
            performance["rows"] >= thresholds.min_labelled
            and performance["positives"] >= thresholds.min_positives
        )
        if enough and reference_pr_auc and "pr_auc" in performance:
            drop = 1 - performance["pr_auc"] / reference_pr_auc
            if drop > thresholds.max_relative_drop:
                reasons.append(
                    f"PR-AUC {performance['pr_auc']:.3f} is {drop:.0%} below the "
                    f"training reference {reference_pr_auc:.3f}"
                )
    return RetrainingDecision(bool(reasons), reasons, performance, reference_pr_auc)
