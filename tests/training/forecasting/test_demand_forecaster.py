"""DemandForecaster: contract, monotone quantiles, near-nominal coverage, no look-ahead."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from decisions import quantiles
from features.timeseries import LagFeatureSpec
from training import forecast_metrics as fm
from training.forecasting.backtest import rolling_origin_backtest
from training.forecasting.model import DemandForecaster, DemandSpec

SPEC = DemandSpec(
    features=LagFeatureSpec(lags=(0, 1, 2), seasonal_lags=(12,), windows=(3, 6), scale_window=6),
    horizon=6,
    freq="MS",
    known_covariates=("price",),
    params={"min_data_in_leaf": 20, "learning_rate": 0.1, "num_leaves": 15, "max_bin": 63},
    num_boost_round=150,
)


def split(df: pd.DataFrame, origin: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    cut = pd.Timestamp(origin)
    test = df[(df["ds"] > cut) & (df["ds"] <= cut + pd.DateOffset(months=6))]
    return df[df["ds"] <= cut], test


def test_predict_returns_monotone_quantiles_for_every_series_and_step(panel) -> None:
    train, test = split(panel, "2018-06-01")
    model = DemandForecaster(SPEC).fit(train)
    pred = model.predict(6, test.drop(columns="y"))
    assert list(pred.columns) == ["unique_id", "ds", "p10", "p50", "p90"]
    assert len(pred) == 30 * 6
    assert pred.merge(test, on=["unique_id", "ds"]).shape[0] == len(pred)
    assert (pred["p10"] <= pred["p50"]).all() and (pred["p50"] <= pred["p90"]).all()
    assert (pred["p10"] >= 0).all()
    assert model.fit_info_["rows_train"] > 0 and model.fit_info_["best_iterations"]


@pytest.mark.slow
def test_interval_coverage_is_near_nominal_and_beats_naive(make_panel) -> None:
    df = make_panel(60, 60, seed=7)
    train, test = split(df, "2019-06-01")
    pred = DemandForecaster(SPEC).fit(train).predict(6, test.drop(columns="y"))
    scored = pred.merge(test, on=["unique_id", "ds"])
    coverage = fm.interval_coverage(scored["y"], scored[["p10", "p90"]])
    assert 0.68 <= coverage <= 0.92
    naive = scored["unique_id"].map(train.groupby("unique_id")["y"].last())
    assert fm.mae(scored["y"], scored["p50"]) < fm.mae(scored["y"], naive)


@pytest.mark.slow
def test_predictions_do_not_move_when_the_future_changes(panel) -> None:
    origin = pd.Timestamp("2018-06-01")
    changed = panel.copy()
    changed.loc[changed["ds"] > origin, "y"] *= 5
    runs = [
        rolling_origin_backtest(
            d, lambda: DemandForecaster(SPEC), [origin], 6, "MS", 12, baselines=False
        )
        for d in (panel, changed)
    ]
    a, b = (r.predictions.sort_values(["unique_id", "ds"])[["p10", "p50", "p90"]] for r in runs)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy())
    assert not np.allclose(runs[0].predictions["y"], runs[1].predictions["y"])


def test_the_conformal_step_can_leave_the_median_as_the_booster_gives_it(panel) -> None:
    train, test = split(panel, "2018-06-01")
    future = test.drop(columns="y")
    models = {
        name: DemandForecaster(replace(SPEC, **changes)).fit(train)
        for name, changes in {"all": {}, "bounds": {"conformal_center": False}, "none": {"conformal": False}}.items()
    }
    bounds = models["bounds"]
    assert (bounds.offsets_[0.5] == 0).all() and (models["all"].offsets_[0.5] != 0).any()
    pd.testing.assert_frame_equal(bounds.offsets_[[0.1, 0.9]], models["all"].offsets_[[0.1, 0.9]])
    pred, raw, full = (models[name].predict(6, future) for name in ("bounds", "none", "all"))
    # the centre is the booster's wherever sorting the three quantiles did not swap them
    assert np.isclose(pred["p50"], raw["p50"]).mean() > 0.95
    assert np.isclose(full["p50"], raw["p50"]).mean() < 0.05


def test_tweedie_center_for_intermittent_demand(make_panel) -> None:
    df = make_panel(30, 48, seed=2)
    rng = np.random.default_rng(0)
    df["y"] = np.where(rng.random(len(df)) < 0.6, 0.0, df["y"])  # 60% zero periods
    spec = DemandSpec(**{**SPEC.__dict__, "center_objective": "tweedie"})
    train, test = split(df, "2018-06-01")
    pred = DemandForecaster(spec).fit(train).predict(3, test.drop(columns="y"))
    assert len(pred) == 30 * 3 and (pred["p10"] <= pred["p90"]).all()
    assert pred["p10"].median() == 0.0 < pred["p90"].median()


def test_mean_booster_gives_the_level_of_lumpy_demand_where_the_median_is_far_below() -> None:
    """Planning needs expected demand: on lumpy series the median is no estimate of it."""
    rng = np.random.default_rng(3)
    ids = [f"s{i:03d}" for i in range(200)]
    level = pd.Series(rng.uniform(20, 200, len(ids)), index=ids)
    df = pd.DataFrame(
        {
            "unique_id": np.repeat(ids, 48),
            "ds": np.tile(pd.date_range("2015-01-01", periods=48, freq="MS"), len(ids)),
            "price": 1.0,
        }
    )
    busy = rng.random(len(df)) < 0.45  # demand in 45% of the periods, exponential sizes
    df["y"] = np.where(busy, df["unique_id"].map(level) * rng.exponential(1.0, len(df)), 0.0)
    spec = DemandSpec(**{**SPEC.__dict__, "mean_objective": "tweedie"})
    train, test = split(df, "2017-12-01")
    pred = DemandForecaster(spec).fit(train).predict(6, test.drop(columns="y"))
    expected = 0.45 * pred["unique_id"].map(level).sum()
    rebuilt = quantiles.mean(pred["p10"], pred["p50"], pred["p90"]).sum()  # split normal of the quantiles
    assert pred["p50"].sum() < 0.5 * expected
    assert abs(pred["mean"].sum() / expected - 1) < 0.1 < abs(rebuilt / expected - 1)
    assert (pred["mean"] >= 0).all()


def test_bad_inputs_name_the_problem(panel) -> None:
    with pytest.raises(ValueError, match="price"):
        DemandForecaster(SPEC).fit(panel.drop(columns="price"))
    with pytest.raises(ValueError, match="history"):
        DemandForecaster(SPEC).fit(panel[panel["ds"] < "2015-08-01"])
    with pytest.raises(ValueError, match="mean_objective"):
        DemandForecaster(DemandSpec(**{**SPEC.__dict__, "mean_objective": "l1"})).fit(panel)
    model = DemandForecaster(SPEC).fit(panel)
    with pytest.raises(ValueError, match="horizon"):
        model.predict(7, None)


def test_anchor_forecasts_from_newer_history_without_refitting(panel) -> None:
    train, _ = split(panel, "2018-06-01")
    model = DemandForecaster(SPEC).fit(train)
    boosters = model.fit_info_["best_iterations"]
    newer = panel[panel["ds"] <= pd.Timestamp("2018-12-01")]
    pred = model.anchor(newer).predict(2)
    assert pred["ds"].min() == pd.Timestamp("2019-01-01")  # the months after the newer history
    assert model.fit_info_["best_iterations"] == boosters
