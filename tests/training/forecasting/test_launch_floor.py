"""Launch floor: a launched series is never forecast below last week's rate; others are untouched."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.forecasting.launch import floor_launched, launch_floor


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


def test_long_forecasts_of_launched_series_are_floored_at_their_recent_rate() -> None:
    history = pd.DataFrame(
        {"unique_id": ["new"] * 4 + ["old"] * 4, "ds": list(pd.date_range("2020-01-01", periods=4, freq="MS")) * 2,
         "y": [0.0, 0.0, 6.0, 10.0, 5.0, 5.0, 5.0, 5.0]}
    )
    forecasts = pd.DataFrame(
        {"unique_id": ["new", "old"], "ds": pd.Timestamp("2020-05-01"),
         "p10": [0.0, 1.0], "p50": [1.0, 2.0], "p90": [3.0, 4.0]}
    )
    out = floor_launched(forecasts, history, pd.Index(["new"]), recent_periods=2).set_index("unique_id")
    assert out.loc["new", ["p10", "p50", "p90"]].tolist() == [0.0, 8.0, 8.0]
    assert out.loc["old", ["p10", "p50", "p90"]].tolist() == [1.0, 2.0, 4.0]
