"""Forecast combination: inverse-error weights, members missing per segment, conformal bounds,
and the ``EnsembleForecaster`` a recipe selects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import seasonal_panel, small_monthly_spec
from training.forecasting.ensemble import (
    Combination,
    EnsembleForecaster,
    EnsembleSpec,
    apply_combination,
    combine_p50,
    fit_combination,
    inverse_error_weights,
    segments,
    statistical_forecasts,
)
from training.forecasting.forecaster import make_demand_forecaster
from training.forecasting.model import DemandForecaster

SPEC = small_monthly_spec()


def synthetic_members(
    n_series: int, origins: list[str], noise: dict[str, float], seed: int
) -> pd.DataFrame:
    """Annotated member forecasts with ``y``: every member is the truth plus normal noise of
    its own size (in units of the series scale, growing with the horizon)."""
    rng = np.random.default_rng(seed)
    rows = []
    for origin in map(pd.Timestamp, origins):
        for h in (1, 2, 3):
            ds = origin + pd.DateOffset(months=h)
            scale = rng.uniform(10, 100, n_series)
            truth = scale * rng.uniform(0.5, 1.5, n_series)
            y = truth + rng.normal(0, 0.3 * h, n_series) * scale
            for model, size in noise.items():
                rows.append(pd.DataFrame({
                    "unique_id": [f"s{i}" for i in range(n_series)], "ds": ds, "origin": origin,
                    "horizon": h, "segment": "regular", "scale": scale, "model": model,
                    "p50": truth + rng.normal(0, size, n_series) * scale, "y": y,
                }))
    frame = pd.concat(rows, ignore_index=True)
    return frame.assign(p10=frame["p50"], p90=frame["p50"])


def test_a_member_with_half_the_error_gets_twice_the_weight() -> None:
    rows = pd.DataFrame({
        "segment": "regular", "horizon": 1, "model": ["good", "good", "bad", "bad"],
        "y": [10.0, 10.0, 10.0, 10.0], "p50": [11.0, 9.0, 12.0, 8.0],
    })
    weights = inverse_error_weights(rows, power=1.0).set_index("model")["weight"]
    assert weights["good"] == pytest.approx(2 / 3)
    assert weights["bad"] == pytest.approx(1 / 3)
    equal = inverse_error_weights(rows, power=0.0).set_index("model")["weight"]
    assert equal["good"] == pytest.approx(0.5)


def test_a_member_missing_for_a_series_leaves_the_others_weights_summing_to_one() -> None:
    weights = pd.DataFrame({
        "segment": ["regular", "regular", "regular"], "horizon": 1,
        "model": ["LightGBM", "AutoETS", "TSB"], "weight": [0.5, 0.3, 0.2],
    })
    members = pd.DataFrame({
        "unique_id": ["a", "a"], "ds": pd.Timestamp("2020-02-01"), "origin": pd.Timestamp("2020-01-01"),
        "horizon": 1, "segment": "regular", "scale": 1.0, "model": ["LightGBM", "AutoETS"],
        "p50": [10.0, 20.0],
    })
    combined = combine_p50(members, weights)
    assert combined["p50"].iloc[0] == pytest.approx((0.5 * 10 + 0.3 * 20) / 0.8)
    unseen = combine_p50(members.assign(segment="intermittent"), weights)
    assert unseen["p50"].iloc[0] == pytest.approx(15.0)


def test_conformal_bounds_cover_about_80_percent_of_new_windows_and_widen_with_horizon() -> None:
    noise = {"LightGBM": 0.1, "AutoETS": 0.2, "AutoTheta": 0.4}
    earlier = synthetic_members(400, ["2019-01-01", "2019-04-01", "2019-07-01"], noise, seed=1)
    combination = fit_combination(earlier, EnsembleSpec(season_length=12))
    assert isinstance(combination, Combination)
    weights = combination.weights[combination.weights["horizon"] == 1].set_index("model")["weight"]
    assert weights["LightGBM"] > weights["AutoETS"] > weights["AutoTheta"]
    new = synthetic_members(400, ["2020-01-01", "2020-04-01"], noise, seed=2)
    pred = apply_combination(new.drop(columns="y"), combination)
    scored = pred.merge(new.drop_duplicates(["unique_id", "ds"])[["unique_id", "ds", "y"]])
    inside = scored["y"].between(scored["p10"], scored["p90"])
    assert 0.75 <= inside.mean() <= 0.85
    width = (scored["p90"] - scored["p10"]).groupby(scored["horizon"]).mean()
    assert width[1] < width[2] < width[3]


def test_intermittent_models_forecast_only_the_intermittent_series() -> None:
    panel = seasonal_panel(4, 30, seed=1)
    sparse = (panel["unique_id"] == "s00") & (panel.groupby("unique_id").cumcount() % 3 != 0)
    panel.loc[sparse | (panel["unique_id"] == "s01"), "y"] = 0.0
    assert segments(panel).to_dict() == {
        "s00": "intermittent", "s01": "intermittent", "s02": "regular", "s03": "regular"
    }
    pred = statistical_forecasts(panel, 3, "MS", season_length=12)
    served = pred.groupby("model")["unique_id"].agg(lambda ids: sorted(set(ids)))
    assert served["AutoETS"] == served["AutoTheta"] == ["s00", "s01", "s02", "s03"]
    assert served["TSB"] == served["CrostonOptimized"] == served["ADIDA"] == ["s00", "s01"]
    assert (pred["p50"] >= 0).all() and len(pred) == 3 * (2 * 4 + 3 * 2)


@pytest.fixture(scope="module")
def fitted_ensemble():
    panel = seasonal_panel(6, 40, seed=4)
    origin = pd.Timestamp("2017-12-01")
    ensemble = EnsembleSpec(season_length=12, n_windows=2, step=3)
    model = EnsembleForecaster(SPEC, ensemble).fit(panel[panel["ds"] <= origin])
    return model, panel, origin


def test_ensemble_forecaster_learns_only_from_windows_before_its_origin(fitted_ensemble) -> None:
    model, panel, origin = fitted_ensemble
    windows = [pd.Timestamp(w) for w in model.fit_info_["ensemble_windows"]]
    assert windows == [origin - pd.DateOffset(months=6), origin - pd.DateOffset(months=3)]
    future = panel[(panel["ds"] > origin) & (panel["ds"] <= origin + pd.DateOffset(months=3))]
    pred = model.predict(3, future.drop(columns="y"))
    assert list(pred.columns) == ["unique_id", "ds", "p10", "p50", "p90"]
    assert len(pred) == 6 * 3
    assert (pred["p10"] <= pred["p50"]).all() and (pred["p50"] <= pred["p90"]).all()
    assert len(model.predict(1, future.drop(columns="y"))) == 6


def test_recipe_option_selects_the_forecaster() -> None:
    assert isinstance(make_demand_forecaster(SPEC, None), DemandForecaster)
    assert isinstance(make_demand_forecaster(SPEC, EnsembleSpec(season_length=12)), EnsembleForecaster)


def test_the_served_forecast_path_accepts_the_ensemble(fitted_ensemble) -> None:
    from serving.forecast import build_forecaster
    from training.world_models import DemandQuantiles

    model, _, origin = fitted_ensemble
    served = build_forecaster(DemandQuantiles(model), None)
    table = served.table
    assert served.horizon == 3
    assert table.groupby("unique_id").size().eq(3).all() and table["unique_id"].nunique() == 6
    assert (table["ds"] > origin).all()
    assert (table["p10"] <= table["p90"]).all()


@pytest.mark.slow
def test_world_demand_training_goes_through_the_ensemble_when_the_recipe_selects_it() -> None:
    from training.recipes import DemandJob
    from training.world_models import train_demand

    panel = seasonal_panel(6, 90, seed=5, freq="D").assign(
        promo_active=0.0, promo_discount=0.0, category="c1"
    )
    job = DemandJob(
        ensemble=EnsembleSpec(season_length=7, n_windows=2, step=7),
        num_boost_round=30,
        backtest_series=None,
    )
    trained = train_demand(job, panel)
    assert isinstance(trained.estimator.forecaster, EnsembleForecaster)
    assert set(trained.record.tables["backtest"]["model"]) >= {"Ensemble", "Naive", "AutoETS"}
    assert 0 < trained.record.metrics["mae"] and "baseline_Naive.mae" in trained.record.metrics
    pred = trained.estimator.predict(trained.input_example)
    assert len(pred) == len(trained.input_example) and pred.notna().all().all()


def test_world_demand_model_learns_from_at_most_max_series_and_forecasts_every_series() -> None:
    from training.recipes import DemandJob
    from training.world_models import train_demand

    panel = seasonal_panel(6, 90, seed=5, freq="D").assign(promo_active=0.0, promo_discount=0.0, category="c1")
    capped = train_demand(DemandJob(num_boost_round=30, backtest_series=None, max_series=3), panel)
    whole = train_demand(DemandJob(num_boost_round=30, backtest_series=None, max_series=None), panel)
    assert (capped.record.params["series"], capped.record.params["fitted_series"]) == (6, 3)
    assert whole.record.params["fitted_series"] == 6
    future = panel.groupby("unique_id", as_index=False)["ds"].max()
    future = future.assign(ds=future["ds"] + pd.Timedelta(days=1), promo_active=0.0, promo_discount=0.0)
    forecast = capped.estimator.predict(future)
    assert forecast["p50"].notna().all()  # the series it did not learn from too
    assert not np.allclose(forecast["p50"], whole.estimator.predict(future)["p50"])


@pytest.mark.slow
def test_world_demand_model_capped_on_dask_forecasts_every_series() -> None:
    import dask.dataframe as dd

    from tests.conftest import local_cluster
    from training.recipes import DemandJob
    from training.world_models import train_demand

    panel = seasonal_panel(6, 90, seed=5, freq="D").assign(promo_active=0.0, promo_discount=0.0, category="c1")
    panel = panel.sort_values(["unique_id", "ds"], ignore_index=True)
    job = DemandJob(num_boost_round=30, backtest_series=None, max_series=3)
    with local_cluster(2):
        trained = train_demand(job, dd.from_pandas(panel, npartitions=3, sort=False))  # two whole series each
    future = panel.groupby("unique_id", as_index=False)["ds"].max()
    future = future.assign(ds=future["ds"] + pd.Timedelta(days=1), promo_active=0.0, promo_discount=0.0)
    assert trained.record.params["fitted_series"] == 3
    assert trained.estimator.predict(future)["p50"].notna().all()
