"""Tracking-signal level factors: pooled per group, clipped, neutral without forecast volume."""

from __future__ import annotations

import numpy as np
import pytest

from training.forecasting.level import level_factors


def test_factors_pool_every_series_of_a_group_and_clip_a_level_far_off() -> None:
    forecast = np.array([[10.0, 30.0, 5.0, 4.0, 0.0], [10.0, 30.0, 5.0, 4.0, 0.0]])
    actual = np.array([[20.0, 16.0, 1.0, 5.0, 3.0], [12.0, 24.0, 1.0, 5.0, 0.0]])
    group = np.array(["a", "a", "b", "c", "d"])
    factors = level_factors(forecast, actual, group)
    np.testing.assert_allclose(factors[:2], [0.9, 0.9])  # 72 / 80 units over the group, not per series
    assert factors[2] == 0.8  # 2 / 10 units: clipped, one group's freak weeks cannot swing it
    assert factors[3] == 1.25  # 10 / 8 units
    assert factors[4] == 1.0  # nothing forecast: nothing to correct


def test_a_group_on_target_is_left_alone() -> None:
    forecast = np.array([[3.0, 7.0], [5.0, 5.0]])
    np.testing.assert_allclose(level_factors(forecast, forecast[::-1], np.array([1, 1])), [1.0, 1.0])


def test_shapes_that_disagree_are_refused() -> None:
    with pytest.raises(ValueError, match="disagree"):
        level_factors(np.ones((2, 3)), np.ones((2, 3)), np.array([0, 1]))
