"""Data and prediction drift with Evidently, on pinned methods so results do not flip with size.

Evidently picks a different default test (and threshold direction) above and below 1,000 rows;
pinning PSI for every column keeps one meaning: a score above the threshold is drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset

DRIFT_METHOD = "psi"


@dataclass(frozen=True)
class DriftThresholds:
    """PSI above ``column_psi`` marks a column as drifted (0.1 small, 0.2 large shift, by convention)."""

    column_psi: float = 0.2
    drifted_share: float = 0.3
    prediction_psi: float = 0.2


@dataclass(frozen=True)
class DriftResult:
    """Drift of each monitored column and of the predictions, with Evidently's snapshot."""

    column_scores: dict[str, float]
    drifted_columns: list[str]
    drifted_share: float
    prediction_score: float | None
    prediction_drifted: bool
    data_drifted: bool
    report: object = field(repr=False)  # the Evidently snapshot, for the HTML report
    unmeasured_columns: list[str] = field(default_factory=list)  # empty on one side: no PSI

    def summary(self) -> dict[str, object]:
        return {
            "method": DRIFT_METHOD,
            "column_scores": {k: round(v, 6) for k, v in sorted(self.column_scores.items())},
            "drifted_columns": self.drifted_columns,
            "drifted_share": round(self.drifted_share, 6),
            "data_drifted": self.data_drifted,
            "prediction_score": None if self.prediction_score is None else round(self.prediction_score, 6),
            "prediction_drifted": self.prediction_drifted,
            "unmeasured_columns": self.unmeasured_columns,
        }


def measure_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    feature_columns: list[str],
    prediction_column: str | None = None,
    thresholds: DriftThresholds | None = None,
) -> DriftResult:
    """PSI of every feature (and of the prediction) between the training reference and now."""
    thresholds = thresholds or DriftThresholds()
    columns = list(feature_columns) + ([prediction_column] if prediction_column else [])
    missing = [c for c in columns if c not in current.columns or c not in reference.columns]
    if missing:
        raise KeyError(f"columns missing from the reference or current data: {missing}")
    # A column with no value on one side (a feature not computed there) has no distribution to
    # compare; Evidently rejects it, so it is reported as unmeasured instead of failing the run.
    empty = {c for c in columns if reference[c].isna().all() or current[c].isna().all()}
    if prediction_column in empty:
        raise ValueError(f"prediction column {prediction_column!r} has no values on one side")
    feature_columns = [c for c in feature_columns if c not in empty]
    if not feature_columns:
        raise ValueError("no feature column has values in both the reference and current data")
    columns = [c for c in columns if c not in empty]
    preset = DataDriftPreset(
        columns=columns,
        method=DRIFT_METHOD,
        threshold=thresholds.column_psi,
        per_column_threshold=(
            {prediction_column: thresholds.prediction_psi} if prediction_column else None
        ),
        drift_share=thresholds.drifted_share,
    )
    snapshot = Report([preset], include_tests=True).run(
        current_data=current[columns], reference_data=reference[columns]
    )
    scores = _value_drift_scores(snapshot.dict())
    feature_scores = {c: scores[c] for c in feature_columns}
    drifted = sorted(c for c, s in feature_scores.items() if s > thresholds.column_psi)
    share = len(drifted) / max(len(feature_columns), 1)
    prediction_score = scores.get(prediction_column) if prediction_column else None
    return DriftResult(
        column_scores=feature_scores,
        drifted_columns=drifted,
        drifted_share=share,
        prediction_score=prediction_score,
        prediction_drifted=prediction_score is not None and prediction_score > thresholds.prediction_psi,
        data_drifted=share > thresholds.drifted_share,
        report=snapshot,
        unmeasured_columns=sorted(empty),
    )


def _value_drift_scores(snapshot: dict) -> dict[str, float]:
    scores: dict[str, float] = {}
    for metric in snapshot["metrics"]:
        config = metric.get("config", {})
        if config.get("type", "").endswith("ValueDrift"):
            scores[config["column"]] = float(metric["value"])
    return scores
