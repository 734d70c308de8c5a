"""A fixed-weight blend averages its members' quantiles, over the members present for each row."""

from __future__ import annotations

import pandas as pd
import pytest

from features.timeseries import ID, TIME
from tests.conftest import seasonal_panel, small_monthly_spec
from training.forecasting.blend import BlendForecaster, BlendSpec, blend_quantiles
from training.forecasting.ensemble import statistical_forecasts
from training.forecasting.forecaster import make_demand_forecaster, model_label
from training.forecasting.model import DemandForecaster
from training.recipes import STALLION_BLEND

DAY = pd.Timestamp("2024-01-01")


def _member(model: str, uid: str, p10: float, p50: float, p90: float) -> dict:
    return {ID: uid, TIME: DAY, "model": model, "p10": p10, "p50": p50, "p90": p90}


def test_blend_weighs_each_quantile_and_renormalises_over_present_members() -> None:
    blend = BlendSpec(weights=(("LightGBM", 3.0), ("AutoETS", 1.0)), season_length=12)
    members = pd.DataFrame(
        [
            _member("LightGBM", "a", 10.0, 20.0, 40.0),
            _member("AutoETS", "a", 2.0, 4.0, 8.0),
            _member("AutoTheta", "a", 1000.0, 1000.0, 1000.0),  # not in the blend
            _member("LightGBM", "b", 5.0, 6.0, 7.0),  # AutoETS missing: the LightGBM alone
        ]
    )
    out = blend_quantiles(members, blend).set_index(ID)
    assert out.loc["a", ["p10", "p50", "p90"]].tolist() == pytest.approx([8.0, 16.0, 32.0])
    assert out.loc["b", ["p10", "p50", "p90"]].tolist() == pytest.approx([5.0, 6.0, 7.0])
    assert blend.label == "LightGBM.75+AutoETS.25" == model_label(blend)


def test_blend_spec_refuses_unknown_members_and_non_positive_weights() -> None:
    with pytest.raises(ValueError, match="unknown member"):
        BlendSpec(weights=(("Prophet", 1.0),), season_length=12)
    with pytest.raises(ValueError, match="positive"):
        BlendSpec(weights=(("LightGBM", 1.0), ("AutoETS", 0.0)), season_length=12)


def test_blend_forecaster_blends_the_lightgbm_with_autoets_fitted_on_the_same_history() -> None:
    spec = small_monthly_spec()
    panel = seasonal_panel(5, 36, seed=2)
    origin = pd.Timestamp("2017-09-01")
    history = panel[panel[TIME] <= origin]
    # The recipe's Stallion blend selects this forecaster; a unit test fits a smaller spec.
    assert isinstance(make_demand_forecaster(spec, STALLION_BLEND), BlendForecaster)
    future = panel[panel[TIME] > origin].drop(columns="y")
    pred = BlendForecaster(spec, STALLION_BLEND).fit(history).predict(2, future)

    lightgbm = DemandForecaster(spec).fit(history).predict(2, future)
    ets = statistical_forecasts(history, spec.horizon, spec.freq, season_length=12)
    ets = ets[ets["model"] == "AutoETS"]
    expected = lightgbm.merge(ets, on=[ID, TIME], suffixes=("", "_ets"))
    assert len(pred) == len(lightgbm) == 5 * 2
    both = pred.merge(expected, on=[ID, TIME], suffixes=("", "_expected"))
    for q in ("p10", "p50", "p90"):
        assert both[q].to_numpy() == pytest.approx(0.75 * both[f"{q}_expected"] + 0.25 * both[f"{q}_ets"])
    assert (pred["p10"] <= pred["p50"]).all() and (pred["p50"] <= pred["p90"]).all()
