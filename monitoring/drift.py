"""Data and prediction drift with Evidently, on pinned methods so results do not flip with size.

Evidently picks a different default test (and threshold direction) above and below 1,000 rows;
pinning PSI for every column keeps one meaning: a score above the threshold is drift.

Two kinds of feature are kept apart. Model-state features (stock, supplier delays, demand) say
whether the world the model learned has moved; they count toward the drifted share. Request
features are chosen by whoever sends the order (quantity, days until the requested date,
customer tier): their shift says the request mix changed, not that the model is stale, so they
are reported in a separate ``request_mix`` section that never counts toward the drifted share.
Before the window holds the minimum evidence (``monitoring.evidence``) no column and no
prediction is flagged: the verdict is "not enough data yet".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from evidently import Report
from evidently.metrics import ValueDrift
from evidently.presets import DataDriftPreset

from monitoring.evidence import NOT_ENOUGH_DATA, Evidence

DRIFT_METHOD = "psi"
DRIFTED, NO_DRIFT = "drift", "no drift"


@dataclass(frozen=True)
class DriftThresholds:
    """PSI above ``column_psi`` marks a column as drifted (0.1 small, 0.2 large shift, by convention)."""

    column_psi: float = 0.2
    drifted_share: float = 0.3
    prediction_psi: float = 0.2


@dataclass(frozen=True)
class DriftResult:
    """Drift of each monitored column and of the predictions, with Evidently's snapshot.

    ``verdict`` is ``"drift"``, ``"no drift"`` or ``"not enough data yet"``; in the last case
    ``evidence`` says how many days and lines were seen and are needed, and nothing is flagged.
    """

    column_scores: dict[str, float]
    drifted_columns: list[str]
    drifted_share: float
    prediction_score: float | None
    prediction_drifted: bool
    data_drifted: bool
    report: object = field(repr=False)  # the Evidently snapshot, for the HTML report
    unmeasured_columns: list[str] = field(default_factory=list)  # empty on one side: no PSI
    request_mix_scores: dict[str, float] = field(default_factory=dict)  # not in the drifted share
    request_mix_shifted: list[str] = field(default_factory=list)
    verdict: str = NO_DRIFT
    evidence: Evidence | None = None

    def summary(self) -> dict[str, object]:
        return {
            "verdict": self.verdict,
            "evidence": None if self.evidence is None else self.evidence.summary(),
            "method": DRIFT_METHOD,
            "column_scores": _rounded(self.column_scores),
            "drifted_columns": self.drifted_columns,
            "drifted_share": round(self.drifted_share, 6),
            "data_drifted": self.data_drifted,
            "prediction_score": None if self.prediction_score is None else round(self.prediction_score, 6),
            "prediction_drifted": self.prediction_drifted,
            "request_mix": {
                "column_scores": _rounded(self.request_mix_scores),
                "shifted_columns": self.request_mix_shifted,
            },
            "unmeasured_columns": self.unmeasured_columns,
        }


def measure_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    feature_columns: list[str],
    prediction_column: str | None = None,
    thresholds: DriftThresholds | None = None,
    request_columns: Collection[str] = (),
    evidence: Evidence | None = None,
) -> DriftResult:
    """PSI of every feature (and of the prediction) between the training reference and now.

    Features named in ``request_columns`` are measured but reported apart (``request_mix``), out
    of the drifted share. With ``evidence`` short of its minimum nothing is flagged.
    """
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
    request = [c for c in feature_columns if c in request_columns and c not in empty]
    feature_columns = [c for c in feature_columns if c not in request_columns and c not in empty]
    if not feature_columns:
        raise ValueError("no model-state feature column has values in both the reference and current data")
    columns = feature_columns + ([prediction_column] if prediction_column else [])
    preset = DataDriftPreset(
        columns=columns,
        method=DRIFT_METHOD,
        threshold=thresholds.column_psi,
        per_column_threshold=(
            {prediction_column: thresholds.prediction_psi} if prediction_column else None
        ),
        drift_share=thresholds.drifted_share,
    )
    request_metrics = [ValueDrift(column=c, method=DRIFT_METHOD, threshold=thresholds.column_psi) for c in request]
    # A column constant on one side makes Evidently's statistics divide by a zero spread; it
    # reads the NaN as "not measurable", so numpy's warning about it is noise.
    with np.errstate(divide="ignore", invalid="ignore"):
        snapshot = Report([preset, *request_metrics], include_tests=True).run(
            current_data=current[columns + request], reference_data=reference[columns + request]
        )
    scores = _value_drift_scores(snapshot.dict())
    feature_scores = {c: scores[c] for c in feature_columns}
    request_scores = {c: scores[c] for c in request}
    prediction_score = scores.get(prediction_column) if prediction_column else None
    judged = evidence is None or evidence.enough
    drifted = _above(feature_scores, thresholds.column_psi) if judged else []
    share = len(drifted) / len(feature_columns)
    prediction_drifted = judged and prediction_score is not None and prediction_score > thresholds.prediction_psi
    data_drifted = share > thresholds.drifted_share
    verdict = NOT_ENOUGH_DATA if not judged else DRIFTED if data_drifted or prediction_drifted else NO_DRIFT
    return DriftResult(
        column_scores=feature_scores,
        drifted_columns=drifted,
        drifted_share=share,
        prediction_score=prediction_score,
        prediction_drifted=prediction_drifted,
        data_drifted=data_drifted,
        report=snapshot,
        unmeasured_columns=sorted(empty),
        request_mix_scores=request_scores,
        request_mix_shifted=_above(request_scores, thresholds.column_psi) if judged else [],
        verdict=verdict,
        evidence=evidence,
    )


def _above(scores: dict[str, float], threshold: float) -> list[str]:
    return sorted(c for c, s in scores.items() if s > threshold)


def _rounded(scores: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 6) for k, v in sorted(scores.items())}


def _value_drift_scores(snapshot: dict) -> dict[str, float]:
    scores: dict[str, float] = {}
    for metric in snapshot["metrics"]:
        config = metric.get("config", {})
        if config.get("type", "").endswith("ValueDrift"):
            scores[config["column"]] = float(metric["value"])
    return scores
