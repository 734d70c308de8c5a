"""Metrics for a rare-event probability: ranking (ROC-AUC, PR-AUC), operating points (recall at a
precision a planner can act on) and calibration (Brier, reliability curve, expected calibration error).

Every scalar metric is a plain function ``metric(y_true, y_score) -> float``. PR-AUC is the
average precision (step-wise, no interpolation), which is what matters when positives are ~1%.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

Metric = Callable[[np.ndarray, np.ndarray], float]


def _arrays(y_true: object, y_score: object) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=float)
    s = np.asarray(y_score, dtype=float)
    if y.shape != s.shape:
        raise ValueError(f"y_true has shape {y.shape} but y_score has shape {s.shape}")
    return y, s


def roc_auc(y_true: object, y_score: object) -> float:
    """Probability that a random positive is scored above a random negative (NaN if one class)."""
    y, s = _arrays(y_true, y_score)
    if len(y) == 0 or y.min() == y.max():
        return float("nan")
    return float(roc_auc_score(y, s))


def pr_auc(y_true: object, y_score: object) -> float:
    """Average precision: area under the precision-recall step curve."""
    y, s = _arrays(y_true, y_score)
    if not y.any():
        return float("nan")
    return float(average_precision_score(y, s))


def recall_at_precision(y_true: object, y_score: object, precision: float = 0.5) -> float:
    """Highest recall reachable by a threshold whose precision is at least ``precision``."""
    y, s = _arrays(y_true, y_score)
    if not y.any():
        return float("nan")
    prec, rec, _ = precision_recall_curve(y, s)
    reachable = rec[prec >= precision]
    return float(reachable.max()) if reachable.size else 0.0


def recall_at_precision_50(y_true: object, y_score: object) -> float:
    return recall_at_precision(y_true, y_score, 0.5)


def recall_at_precision_80(y_true: object, y_score: object) -> float:
    return recall_at_precision(y_true, y_score, 0.8)


def brier(y_true: object, y_score: object) -> float:
    """Mean squared error of the probability; only meaningful for calibrated scores."""
    y, s = _arrays(y_true, y_score)
    return float(np.mean((s - y) ** 2))


def reliability_curve(y_true: object, y_prob: object, n_bins: int = 10) -> pd.DataFrame:
    """Mean predicted vs observed rate per quantile bin of the prediction.

    Quantile bins, because with 1% positives most equal-width bins above 0.1 would be empty.
    """
    y, p = _arrays(y_true, y_prob)
    ranks = pd.Series(p).rank(method="first").to_numpy()
    bins = np.minimum((ranks - 1) * n_bins // len(p), n_bins - 1).astype(int) if len(p) else ranks
    frame = pd.DataFrame({"bin": bins, "predicted": p, "observed": y})
    return (
        frame.groupby("bin")
        .agg(
            predicted=("predicted", "mean"),
            observed=("observed", "mean"),
            rows=("observed", "size"),
        )
        .reset_index()
    )


def expected_calibration_error(y_true: object, y_prob: object, n_bins: int = 10) -> float:
    """Row-weighted mean gap between predicted and observed rate over the reliability curve's
    quantile bins: 0 for a calibrated model (up to sampling noise), in probability units."""
    curve = reliability_curve(y_true, y_prob, n_bins)
    if curve.empty:
        return float("nan")
    return float(np.average((curve["predicted"] - curve["observed"]).abs(), weights=curve["rows"]))


CLASSIFICATION_METRICS: dict[str, Metric] = {
    "roc_auc": roc_auc,
    "pr_auc": pr_auc,
    "recall_at_p50": recall_at_precision_50,
    "recall_at_p80": recall_at_precision_80,
    "brier": brier,
    "ece": expected_calibration_error,
}


def evaluate(
    y_true: object, y_score: object, metrics: Mapping[str, Metric] = CLASSIFICATION_METRICS
) -> dict[str, float]:
    """All metrics of one model on one fold, as plain data."""
    return {name: metric(y_true, y_score) for name, metric in metrics.items()}


def segment_metrics(
    y_true: object,
    y_score: object,
    segments: object,
    metrics: Mapping[str, Metric] = CLASSIFICATION_METRICS,
) -> pd.DataFrame:
    """``evaluate`` per segment (e.g. lead-time band), with row and positive counts."""
    y, s = _arrays(y_true, y_score)
    frame = pd.DataFrame({"y": y, "s": s, "segment": np.asarray(segments)})
    rows = []
    for segment, part in frame.groupby("segment", sort=True, observed=True):
        row = {"segment": segment, "rows": len(part), "positives": int(part["y"].sum())}
        row.update(evaluate(part["y"].to_numpy(), part["s"].to_numpy(), metrics))
        rows.append(row)
    return pd.DataFrame(rows)
