"""Drift is flagged when the world shifts, not when it does not, nor before there is evidence;
a shift in what callers request is reported apart; decay triggers retraining."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitoring.drift import DRIFTED, measure_drift
from monitoring.evidence import NOT_ENOUGH_DATA, Evidence
from monitoring.retraining import PerformanceThresholds, decide_retraining

FEATURES = ["supplier_delay_mean_90d", "days_of_cover", "customer_tier"]


def _log(rng: np.random.Generator, n: int, delay_shift: float = 0.0, signal: float = 3.0) -> pd.DataFrame:
    delay = rng.gamma(2.0, 2.0, n) + delay_shift
    cover = rng.exponential(20.0, n)
    label = (rng.random(n) < 1 / (1 + np.exp(-(0.4 * delay - 0.2 * cover - 2)))).astype(int)
    score = 1 / (1 + np.exp(-(signal * (label - 0.5) + rng.normal(0, 1.5, n))))
    return pd.DataFrame(
        {
            "supplier_delay_mean_90d": delay,
            "days_of_cover": cover,
            "customer_tier": rng.choice(["gold", "silver", "bronze"], n),
            "prediction": score,
            "label": label,
        }
    )


@pytest.fixture
def rng():
    return np.random.default_rng(11)


@pytest.mark.slow
def test_same_distribution_is_not_drift(rng):
    result = measure_drift(_log(rng, 3000), _log(rng, 3000), FEATURES, "prediction")
    assert result.drifted_columns == []
    assert not result.data_drifted and not result.prediction_drifted
    decision = decide_retraining(result, None, reference_pr_auc=0.6)
    assert not decision.retrain


@pytest.mark.slow
def test_supplier_disruption_is_detected_and_named(rng):
    reference, current = _log(rng, 3000), _log(rng, 3000, delay_shift=6.0)
    result = measure_drift(reference, current, FEATURES, "prediction")
    assert result.drifted_columns == ["supplier_delay_mean_90d"]
    assert result.column_scores["supplier_delay_mean_90d"] > 0.2
    assert "supplier_delay_mean_90d" in result.summary()["drifted_columns"]


@pytest.mark.slow
def test_performance_decay_on_labelled_outcomes_triggers_retraining(rng):
    reference = _log(rng, 3000)
    degraded = _log(rng, 3000, signal=0.3)  # same inputs, the model no longer separates
    drift = measure_drift(reference, degraded, FEATURES, None)
    ranking_only = PerformanceThresholds(max_calibration_gap=1.0)  # these scores are ranks, not probabilities
    healthy = decide_retraining(drift, _log(rng, 3000), reference_pr_auc=0.8, thresholds=ranking_only)
    decayed = decide_retraining(drift, degraded, reference_pr_auc=0.8, thresholds=ranking_only)
    assert not healthy.retrain
    assert decayed.retrain and "PR-AUC" in decayed.reasons[0]


def test_too_few_outcomes_do_not_trigger_retraining(rng):
    few = _log(rng, 50, signal=0.0)
    drift = measure_drift(_log(rng, 500), _log(rng, 500), FEATURES, None)
    assert not decide_retraining(drift, few, reference_pr_auc=0.9).retrain


def test_missing_column_is_named(rng):
    with pytest.raises(KeyError, match="days_of_cover"):
        measure_drift(_log(rng, 100), _log(rng, 100).drop(columns=["days_of_cover"]), FEATURES)


def test_scores_that_miss_the_observed_rate_trigger_retraining(rng):
    drift = measure_drift(_log(rng, 500), _log(rng, 500), FEATURES, None)
    outcomes = pd.DataFrame({"label": (rng.random(1000) < 0.4).astype(int), "prediction": rng.uniform(0, 0.2, 1000)})
    decision = decide_retraining(drift, outcomes, reference_pr_auc=None)
    assert decision.retrain and "miscalibrated" in decision.reasons[0]
    calibrated = outcomes.assign(prediction=np.where(outcomes["label"] == 1, 0.6, 0.27))
    assert not decide_retraining(drift, calibrated, reference_pr_auc=None).retrain


def test_a_shift_before_the_minimum_evidence_is_not_enough_data_and_no_retraining(rng):
    reference, current = _log(rng, 600), _log(rng, 600, delay_shift=6.0)
    one_day = Evidence(days_seen=1, rows_seen=600, days_needed=7, rows_needed=500)
    waiting = measure_drift(reference, current, FEATURES, "prediction", evidence=one_day)
    assert waiting.verdict == NOT_ENOUGH_DATA
    assert waiting.drifted_columns == [] and not waiting.data_drifted and not waiting.prediction_drifted
    assert waiting.column_scores["supplier_delay_mean_90d"] > 0.2  # measured, not yet a verdict
    assert waiting.summary()["evidence"] == {"days_seen": 1, "days_needed": 7, "rows_seen": 600, "rows_needed": 500}
    assert not decide_retraining(waiting, None, reference_pr_auc=0.6).retrain

    a_week = Evidence(days_seen=7, rows_seen=600, days_needed=7, rows_needed=500)
    judged = measure_drift(reference, current, FEATURES, "prediction", evidence=a_week)
    assert judged.verdict == DRIFTED and judged.drifted_columns == ["supplier_delay_mean_90d"]
    assert decide_retraining(judged, None, reference_pr_auc=0.6).retrain


def test_a_shift_in_what_callers_request_is_reported_apart_and_triggers_nothing(rng):
    reference = _log(rng, 600).assign(line_quantity=rng.integers(1, 5, 600).astype(float))
    bigger_orders = _log(rng, 600).assign(line_quantity=rng.integers(20, 60, 600).astype(float))
    features = [*FEATURES, "line_quantity"]
    result = measure_drift(reference, bigger_orders, features, None, request_columns={"line_quantity"})
    assert result.request_mix_shifted == ["line_quantity"]
    assert result.summary()["request_mix"]["column_scores"]["line_quantity"] > 0.2
    assert "line_quantity" not in result.column_scores and result.drifted_columns == []
    assert not result.data_drifted
    assert not decide_retraining(result, None, reference_pr_auc=0.6).retrain
