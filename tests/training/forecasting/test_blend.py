"""A fixed-weight blend averages its members' quantiles, over the members present for each row."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from features.timeseries import ID, TIME
from tests.conftest import seasonal_panel, small_monthly_spec
from training.forecasting.blend import (
    LIGHTGBM_NO_IDS,
    BlendForecaster,
    BlendSpec,
    blend_quantiles,
    without_identity,
)
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


def test_blend_forecaster_blends_both_lightgbm_views_with_autoets_fitted_on_the_same_history() -> None:
    spec = replace(small_monthly_spec(), static_categoricals=("agency",))
    panel = seasonal_panel(5, 36, seed=2)
    panel["agency"] = panel[ID].str[-1]
    origin = pd.Timestamp("2017-09-01")
    history = panel[panel[TIME] <= origin]
    # The recipe's Stallion blend selects this forecaster; a unit test fits a smaller spec.
    assert isinstance(make_demand_forecaster(spec, STALLION_BLEND), BlendForecaster)
    assert STALLION_BLEND.lightgbm_views == ("LightGBM", LIGHTGBM_NO_IDS)
    future = panel[panel[TIME] > origin].drop(columns="y")
    model = BlendForecaster(spec, STALLION_BLEND).fit(history)
    pred = model.predict(2, future)

    lightgbm = DemandForecaster(spec).fit(history)
    no_ids = DemandForecaster(without_identity(spec)).fit(history)
    # The second view names no series: no id, no agency among its features.
    assert any("agency" in name for name in lightgbm.feature_names_)
    assert not any("agency" in name or ID in name for name in no_ids.feature_names_)
    ets = statistical_forecasts(history, spec.horizon, spec.freq, season_length=12)
    ets = ets[ets["model"] == "AutoETS"]
    expected = (
        lightgbm.predict(2, future)
        .merge(no_ids.predict(2, future), on=[ID, TIME], suffixes=("", "_no_ids"))
        .merge(ets, on=[ID, TIME], suffixes=("", "_ets"))
    )
    assert len(pred) == len(expected) == 5 * 2
    both = pred.merge(expected, on=[ID, TIME], suffixes=("", "_expected"))
    for q in ("p10", "p50", "p90"):
        blended = 0.375 * both[f"{q}_expected"] + 0.375 * both[f"{q}_no_ids"] + 0.25 * both[f"{q}_ets"]
        assert both[q].to_numpy() == pytest.approx(blended.to_numpy())
    assert not np.allclose(both["p50_expected"], both["p50_no_ids"])  # two different models
    assert (pred["p10"] <= pred["p50"]).all() and (pred["p50"] <= pred["p90"]).all()
