"""statsforecast baselines give the forecasts their definitions promise on toy series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.forecasting.baselines import BASELINES, baseline_forecasts


@pytest.mark.slow
def test_baselines_on_toy_series() -> None:
    ds = pd.date_range("2020-01-01", periods=36, freq="MS")
    season = np.tile(np.arange(1.0, 13.0), 3)  # 1..12 every year
    intermittent = np.where(np.arange(36) % 4 == 0, 8.0, 0.0)
    df = pd.concat(
        [
            pd.DataFrame({"unique_id": "seasonal", "ds": ds, "y": season}),
            pd.DataFrame({"unique_id": "sparse", "ds": ds, "y": intermittent}),
        ]
    )
    out = baseline_forecasts(df, h=3, freq="MS", season_length=12, window=3)
    assert set(out["model"]) == set(BASELINES)
    assert len(out) == len(BASELINES) * 2 * 3
    get = lambda m, s: out[(out["model"] == m) & (out["unique_id"] == s)]  # noqa: E731
    np.testing.assert_allclose(get("SeasonalNaive", "seasonal")["p50"], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(get("Naive", "seasonal")["p50"], [12.0] * 3)
    np.testing.assert_allclose(get("WindowAverage", "seasonal")["p50"], [11.0] * 3)
    croston = get("CrostonOptimized", "sparse")["p50"]
    assert np.all((croston > 0.5) & (croston < 4.0))  # demand rate ~ 8 every 4 periods = 2
    assert (out["p10"] <= out["p50"]).all() and (out["p50"] <= out["p90"]).all()
    assert (out[["p10", "p50", "p90"]] >= 0).all().all()
