"""Metrics against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from training.risk.metrics import (
    brier,
    expected_calibration_error,
    pr_auc,
    recall_at_precision,
    reliability_curve,
    roc_auc,
    segment_metrics,
)

Y = np.array([1, 0, 1, 0, 0])
S = np.array([0.9, 0.8, 0.7, 0.2, 0.1])


def test_roc_auc_counts_correctly_ordered_pairs():
    # 6 positive-negative pairs, only (0.7 vs 0.8) is misordered: 5/6.
    assert roc_auc(Y, S) == pytest.approx(5 / 6)


def test_roc_auc_counts_a_tied_pair_as_half():
    y = [0, 0, 1, 1, 1]
    s = [0.1, 0.5, 0.5, 0.7, 0.2]
    # pairs (pos, neg): 0.5>0.1 1, 0.5=0.5 0.5, 0.7 beats both 2, 0.2>0.1 1 -> 4.5 / 6
    assert roc_auc(y, s) == pytest.approx(4.5 / 6)


def test_roc_auc_is_undefined_with_one_class():
    assert np.isnan(roc_auc([1, 1, 1], [0.2, 0.5, 0.9]))
    assert np.isnan(roc_auc([0, 0], [0.2, 0.5]))


def test_pr_auc_is_average_precision_at_each_positive():
    # precision at the positives' ranks: 1/1 and 2/3; mean = (1 + 2/3) / 2.
    assert pr_auc(Y, S) == pytest.approx((1 + 2 / 3) / 2)


def test_recall_at_precision_picks_the_best_reachable_recall():
    assert recall_at_precision(Y, S, 0.5) == pytest.approx(1.0)  # top 3: precision 2/3
    assert recall_at_precision(Y, S, 0.8) == pytest.approx(0.5)  # only the top row


def test_brier_is_mean_squared_error():
    expected = np.mean([(0.9 - 1) ** 2, 0.8**2, (0.7 - 1) ** 2, 0.2**2, 0.1**2])
    assert brier(Y, S) == pytest.approx(expected)


def test_reliability_curve_and_segments_count_every_row():
    curve = reliability_curve(Y, S, n_bins=5)
    assert curve["rows"].sum() == 5 and curve["observed"].tolist() == [0, 0, 1, 0, 1]
    table = segment_metrics(Y, S, ["a", "a", "a", "b", "b"])
    assert table["rows"].tolist() == [3, 2]
    assert np.isnan(table.loc[1, "roc_auc"])  # one class only in segment b


def test_expected_calibration_error_is_near_zero_for_calibrated_and_large_for_inflated_scores():
    rng = np.random.default_rng(0)
    p = rng.beta(0.5, 20.0, 200_000)  # rare events, like backorders
    y = rng.random(p.size) < p
    assert expected_calibration_error(y, p) < 0.002
    inflated = np.clip(p * 3, 0, 1)
    assert expected_calibration_error(y, inflated) == pytest.approx(2 * p.mean(), rel=0.1)
    assert np.isnan(expected_calibration_error([], []))
