"""Forecast metric functions against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from training import forecast_metrics as fm

Y = [10.0, 0.0, 5.0, 5.0]
P = [8.0, 1.0, 5.0, 9.0]  # errors 2, 1, 0, 4


def test_point_metrics_match_hand_values() -> None:
    assert fm.mae(Y, P) == pytest.approx(7 / 4)
    assert fm.wape(Y, P) == pytest.approx(7 / 20)
    # per-row scales 2, 1, 1, 4 -> scaled errors 1, 1, 0, 1
    assert fm.mase(Y, P, scale=[2.0, 1.0, 1.0, 4.0]) == pytest.approx(3 / 4)


def test_mase_ignores_rows_without_a_scale() -> None:
    assert fm.mase(Y, P, scale=[2.0, 0.0, np.nan, 4.0]) == pytest.approx(1.0)


def test_pinball_loss_matches_hand_values() -> None:
    # y=10, q10=8 -> 0.1*2=0.2 ; q90=12 -> 0.1*2=0.2 ; y=0, q10=1 -> 0.9*1=0.9 ; q90=3 -> 0.1*3=0.3
    loss = fm.mean_pinball_loss([10.0, 0.0], [[8.0, 12.0], [1.0, 3.0]], quantiles=[0.1, 0.9])
    assert loss == pytest.approx((0.2 + 0.2 + 0.9 + 0.3) / 4)


def test_median_pinball_is_half_the_mae() -> None:
    assert fm.mean_pinball_loss(Y, np.array(P)[:, None], quantiles=[0.5]) == pytest.approx(7 / 8)


def test_coverage_counts_closed_interval() -> None:
    bounds = [[8.0, 10.0], [1.0, 2.0], [5.0, 5.0], [0.0, 4.0]]
    assert fm.interval_coverage(Y, bounds) == pytest.approx(2 / 4)


def test_bad_inputs_are_rejected_with_a_reason() -> None:
    with pytest.raises(ValueError, match="NaN"):
        fm.mae([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(ValueError, match="rows"):
        fm.mae([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="shape"):
        fm.interval_coverage([1.0], [[0.0, 1.0, 2.0]])
