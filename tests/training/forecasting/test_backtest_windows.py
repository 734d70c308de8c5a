"""Rolling-origin windows: where origins fall, that nothing after an origin is used, the tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import seasonal_panel, small_monthly_spec
from training.forecasting.backtest import (
    NEW,
    ensemble_backtest,
    segment_scores,
    series_segments,
    training_window,
    window_forecasts,
    window_origins,
    window_scores,
    window_summary,
)
from training.forecasting.blend import LIGHTGBM_NO_IDS, without_identity
from training.forecasting.ensemble import EnsembleSpec
from training.forecasting.model import DemandForecaster

SPEC = small_monthly_spec()
ENSEMBLE = EnsembleSpec(season_length=12, n_windows=2, step=3)


def test_window_origins_step_and_every_window_ends_inside_the_data() -> None:
    origins = window_origins(pd.Timestamp("2014-03-01"), pd.Timestamp("2017-06-01"), 6, 3, "MS")
    assert origins[0] == pd.Timestamp("2014-03-01")
    assert origins[-1] == pd.Timestamp("2016-12-01")
    assert len(origins) == 12
    assert all((b - a).days in (89, 90, 91, 92) for a, b in zip(origins, origins[1:], strict=False))
    with pytest.raises(ValueError, match="first origin"):
        window_origins(pd.Timestamp("2017-01-01"), pd.Timestamp("2017-06-01"), 6, 3, "MS")


def test_training_window_holds_nothing_after_the_origin(make_panel) -> None:
    panel = make_panel(3, 30, seed=1)
    origin = pd.Timestamp("2016-02-01")
    past = training_window(panel, origin)
    assert past["ds"].max() == origin
    assert len(past) == 3 * 14


@pytest.fixture(scope="module")
def windows_and_changed():
    """Window forecasts on a panel, and at the first origin on the same panel with every value
    after that origin multiplied by ten."""
    panel = seasonal_panel(6, 40, seed=3)
    origins = window_origins(pd.Timestamp("2017-03-01"), panel["ds"].max(), 3, 3, "MS")
    changed = panel.copy()
    changed.loc[changed["ds"] > origins[0], "y"] *= 10
    return (
        origins,
        window_forecasts(panel, SPEC, ENSEMBLE, origins),
        window_forecasts(changed, SPEC, ENSEMBLE, origins[:1]),
    )


def test_forecasts_at_an_origin_ignore_every_later_value(windows_and_changed) -> None:
    origins, windows, changed = windows_and_changed
    first = origins[0]
    a = windows[first].sort_values(["model", "unique_id", "ds"]).reset_index(drop=True)
    b = changed[first].sort_values(["model", "unique_id", "ds"]).reset_index(drop=True)
    np.testing.assert_allclose(a[["p10", "p50", "p90"]], b[["p10", "p50", "p90"]])
    assert set(a["model"]) >= {"LightGBM", "AutoETS", "AutoTheta", "Naive", "SeasonalNaive"}
    for origin, frame in windows.items():
        assert (frame["ds"] > origin).all()
        assert (frame["ds"] <= origin + pd.DateOffset(months=3)).all()


def test_ensemble_rows_only_where_its_earlier_windows_are_complete(windows_and_changed) -> None:
    origins, windows, _ = windows_and_changed
    pred = ensemble_backtest(windows, SPEC, ENSEMBLE)
    with_ensemble = sorted(pred.loc[pred["model"] == "Ensemble", "origin"].unique())
    # two earlier 3-month windows 3 months apart, the newer ending at the origin: from the 3rd on
    assert [pd.Timestamp(o) for o in with_ensemble] == origins[2:]
    ens = pred[pred["model"] == "Ensemble"]
    assert (ens["p10"] <= ens["p50"]).all() and (ens["p50"] <= ens["p90"]).all()
    scores = window_scores(pred)
    summary = window_summary(scores, reference="LightGBM").set_index("model")
    assert summary.loc["LightGBM", "diff_mean"] == 0
    assert summary.loc["Ensemble", "windows"] == len(origins) - 2
    assert summary.loc["Naive", "windows"] == len(origins)


def test_a_blends_second_lightgbm_view_is_forecast_at_each_origin_and_the_ensemble_ignores_it(
    windows_and_changed,
) -> None:
    origins, windows, _ = windows_and_changed
    panel = seasonal_panel(6, 40, seed=3)
    with_view = window_forecasts(panel, SPEC, ENSEMBLE, origins[:1], views=(LIGHTGBM_NO_IDS,))[origins[0]]
    view = with_view[with_view["model"] == LIGHTGBM_NO_IDS].sort_values(["unique_id", "ds"])
    past = training_window(panel, origins[0])
    later = panel[(panel["ds"] > origins[0]) & (panel["ds"] <= origins[0] + pd.DateOffset(months=3))]
    expected = DemandForecaster(without_identity(SPEC)).fit(past).predict(3, later.drop(columns="y"))
    expected = expected.sort_values(["unique_id", "ds"])
    np.testing.assert_allclose(view[["p10", "p50", "p90"]], expected[["p10", "p50", "p90"]])
    assert view["y"].notna().all()
    # The learnt combination keeps to its own members: a far-off extra forecast changes nothing.
    noisy = {
        origin: pd.concat([frame, frame[frame["model"] == "LightGBM"].assign(model=LIGHTGBM_NO_IDS, p50=1e6)])
        for origin, frame in windows.items()
    }
    ensemble = ensemble_backtest(windows, SPEC, ENSEMBLE).query("model == 'Ensemble'")
    with_noise = ensemble_backtest(noisy, SPEC, ENSEMBLE).query("model == 'Ensemble'")
    np.testing.assert_allclose(with_noise[["p10", "p50", "p90"]], ensemble[["p10", "p50", "p90"]])


def _segment_panel() -> pd.DataFrame:
    """24 months of four series: steady, every third month, launched 5 months before the end,
    never sold."""
    months = pd.date_range("2020-01-01", periods=24, freq="MS")
    steady = np.full(24, 10.0)
    sparse = np.where(np.arange(24) % 3 == 0, 10.0, 0.0)
    launched = np.where(np.arange(24) >= 19, 8.0, 0.0)
    return pd.concat(
        [pd.DataFrame({"unique_id": uid, "ds": months, "y": y}) for uid, y in
         (("steady", steady), ("sparse", sparse), ("launched", launched), ("never", np.zeros(24)))],
        ignore_index=True,
    )


def test_series_segments_put_recent_launches_and_unsold_series_apart() -> None:
    seg = series_segments(_segment_panel(), new_periods=12)
    assert seg.to_dict() == {"steady": "smooth", "sparse": "intermittent", "launched": NEW, "never": NEW}
    # The same launch is established once its first sale is older than the window.
    assert series_segments(_segment_panel(), new_periods=3)["launched"] == "smooth"


def test_segment_scores_split_each_window_by_the_history_before_its_origin() -> None:
    panel = _segment_panel()
    origin = pd.Timestamp("2021-09-01")
    later = panel[panel["ds"] > origin]
    preds = later.assign(model="M", origin=origin, p10=0.0, p50=10.0, p90=20.0)
    scores = segment_scores(preds, panel, new_periods=12).set_index("segment")
    assert scores.loc["smooth", "mae"] == pytest.approx(0.0)
    assert scores.loc[NEW, "n"] == 2 * len(later["ds"].unique())
    assert scores.loc[NEW, "mae"] == pytest.approx((2 + 10) / 2)
