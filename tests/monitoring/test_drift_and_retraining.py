"""Drift is flagged when the world shifts, not when it does not; decay triggers retraining."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitoring.drift import measure_drift
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
