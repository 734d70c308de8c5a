"""Calibration fixes over-confident scores; the cost threshold follows the cost ratio."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from training.risk.calibration import ProbabilityCalibrator
from training.risk.metrics import brier
from training.risk.threshold import choose_threshold, expected_cost


def _toy(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    logit = rng.normal(-3.0, 1.5, n)
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    return logit, y


@pytest.mark.parametrize("method", ["auto", "platt", "isotonic"])
def test_calibration_improves_brier_of_a_miscalibrated_model(method):
    logit, y = _toy(20_000, 0)
    overconfident = lambda z: 1 / (1 + np.exp(-(3 * z + 4)))  # noqa: E731
    cal = ProbabilityCalibrator(method).fit(logit[:10_000], y[:10_000])
    raw = brier(y[10_000:], overconfident(logit[10_000:]))
    fixed = brier(y[10_000:], cal.predict(logit[10_000:]))
    assert fixed < 0.8 * raw
    assert cal.method_ in ("platt", "isotonic")


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_calibrated_probabilities_are_scikit_learns_own_including_beyond_the_fitted_range(method):
    logit, y = _toy(5_000, 1)
    cal = ProbabilityCalibrator(method).fit(logit, y)
    scores = np.concatenate([np.linspace(-12, 8, 201), logit[:50]])  # far outside the fold too
    if method == "platt":
        expected = cal.calibrator_.predict_proba(scores.reshape(-1, 1))[:, 1]
    else:
        expected = cal.calibrator_.predict(scores)
    tolerance = 1e-6 if method == "isotonic" else 1e-15  # the isotonic tie-break's weight
    np.testing.assert_allclose(cal.predict(scores), expected, rtol=1e-12, atol=tolerance)


def test_isotonic_calibration_keeps_the_models_ranking():
    logit, y = _toy(5_000, 2)
    cal = ProbabilityCalibrator("isotonic").fit(logit, y)
    scores = np.sort(np.concatenate([logit, np.linspace(-12, 8, 201)]))
    steps = cal.calibrator_.predict(scores)
    assert (np.diff(steps) == 0).mean() > 0.5  # scikit-learn's map ties most neighbours
    assert (np.diff(cal.predict(scores)) > 0).all()  # this one orders them as the model did
    assert roc_auc_score(y, cal.predict(logit)) == pytest.approx(roc_auc_score(y, logit), abs=1e-12)


def test_calibration_refuses_a_fold_with_one_class():
    with pytest.raises(ValueError, match="both classes"):
        ProbabilityCalibrator().fit([0.1, 0.2], [0, 0])


def test_threshold_falls_when_missing_a_backorder_gets_dearer():
    logit, y = _toy(20_000, 1)
    p = 1 / (1 + np.exp(-logit))
    cheap_miss = choose_threshold(y, p, backorder_penalty=10.0, action_cost=5.0)
    dear_miss = choose_threshold(y, p, backorder_penalty=200.0, action_cost=5.0)
    assert dear_miss.threshold < cheap_miss.threshold
    assert dear_miss.recall > cheap_miss.recall
    # On calibrated probabilities the empirical optimum is near action_cost / penalty.
    assert dear_miss.threshold == pytest.approx(5.0 / 200.0, abs=0.02)
    assert dear_miss.expected_cost_per_row == pytest.approx(
        expected_cost(y, p, dear_miss.threshold, 200.0, 5.0)
    )
    assert dear_miss.expected_cost_per_row <= dear_miss.cost_flag_nothing_per_row
