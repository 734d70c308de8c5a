"""Launch floor: a launched series is never forecast below last week's rate; others are untouched."""

from __future__ import annotations

import numpy as np

from training.forecasting.launch import launch_floor


def test_a_launch_gets_last_weeks_rate_and_an_established_series_keeps_its_forecast() -> None:
    mean = np.array([[0.0, 0.0], [3.0, 3.0], [0.5, 0.5]])
    sd = np.array([[0.1, 0.1], [1.0, 1.0], [0.2, 0.2]])
    recent = np.column_stack([[2.0, 4.0, 6.0, 4.0, 4.0, 4.0, 4.0], np.full(7, 1.0), np.full(7, 9.0)])
    launched = np.array([True, True, False])
    floored_mean, floored_sd = launch_floor(mean, sd, recent, launched)
    np.testing.assert_allclose(floored_mean[0], 4.0)  # read as zero by the model, selling 4 a day
    assert (floored_sd[0] > 0.1).all()
    np.testing.assert_allclose(floored_mean[1], 3.0)  # a forecast above the recent rate stands
    np.testing.assert_allclose(floored_sd[1], 1.0)
    np.testing.assert_allclose(floored_mean[2], 0.5)  # not launched: the forecast as it is
