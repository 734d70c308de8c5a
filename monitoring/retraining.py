"""Performance once outcomes arrive, and the retraining decision drift and decay lead to."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from monitoring.drift import DriftResult
from training.risk.metrics import brier, expected_calibration_error, pr_auc, roc_auc


@dataclass(frozen=True)
class PerformanceThresholds:
    """Retrain when PR-AUC falls more than ``max_relative_drop`` below the training reference, or
    when the mean score misses the observed backorder rate by more than ``max_calibration_gap``.

    PR-AUC rises with the base rate, so a surge of backorders can hide a model that has lost its
    calibration; the gap catches that. ``min_labelled`` and ``min_positives`` keep a handful of
    outcomes from triggering anything.
    """

    max_relative_drop: float = 0.2
    min_labelled: int = 200
    min_positives: int = 10
    max_calibration_gap: float = 0.05


def labelled_performance(y_true: np.ndarray, y_score: np.ndarray) -> dict[str, float]:
    """Ranking and calibration quality of logged scores whose outcome is now known."""
    y_true, y_score = np.asarray(y_true), np.asarray(y_score, dtype="float64")
    counts = {"rows": float(len(y_true)), "positives": float(y_true.sum())}
    if len(np.unique(y_true)) < 2:
        return counts
    return {
        **counts,
        "roc_auc": roc_auc(y_true, y_score),
        "pr_auc": pr_auc(y_true, y_score),
        "brier": brier(y_true, y_score),
        # calibration: does a 10% score still mean 10% of lines go wrong?
        "mean_prediction": float(y_score.mean()),
        "observed_rate": float(y_true.mean()),
        "calibration_error": expected_calibration_error(y_true, y_score),
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
        gap = performance.get("mean_prediction", 0.0) - performance.get("observed_rate", 0.0)
        if enough and abs(gap) > thresholds.max_calibration_gap:
            reasons.append(
                f"miscalibrated: mean score {performance['mean_prediction']:.3f} vs observed rate "
                f"{performance['observed_rate']:.3f} (gap above {thresholds.max_calibration_gap})"
            )
        if enough and reference_pr_auc and "pr_auc" in performance:
            drop = 1 - performance["pr_auc"] / reference_pr_auc
            if drop > thresholds.max_relative_drop:
                reasons.append(
                    f"PR-AUC {performance['pr_auc']:.3f} is {drop:.0%} below the "
                    f"training reference {reference_pr_auc:.3f}"
                )
    return RetrainingDecision(bool(reasons), reasons, performance, reference_pr_auc)
