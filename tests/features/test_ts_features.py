"""Time-series features declared as data: values, point-in-time correctness, input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.timeseries import (
    LagFeatureSpec,
    check_long_frame,
    demand_class,
    direct_training_frame,
    fill_gaps,
    origin_features,
)

SPEC = LagFeatureSpec(
    lags=(0, 1), seasonal_lags=(3,), windows=(2,), scale_window=2, date_features=("month",)
)


def one_series(values: list[float]) -> pd.DataFrame:
    ds = pd.date_range("2020-01-01", periods=len(values), freq="MS")
    return pd.DataFrame({"unique_id": "a", "ds": ds, "y": values})


def test_lags_windows_and_scale_by_hand() -> None:
    feats = origin_features(one_series([2.0, 4.0, 0.0, 6.0]), SPEC)
    last = feats.iloc[-1]
    # scale = mean |y| of the last 2 values = 3; lags are in scale units
    assert last["scale"] == pytest.approx(3.0)
    assert last["lag0"] == pytest.approx(6.0 / 3.0)
    assert last["lag1"] == pytest.approx(0.0)
    assert last["mean2"] == pytest.approx(1.0)
    assert last["std2"] == pytest.approx(np.std([0.0, 6.0], ddof=1) / 3.0)
    assert last["zero_share2"] == pytest.approx(0.5)


def test_seasonal_lag_is_missing_when_it_would_lie_after_the_origin() -> None:
    frame = direct_training_frame(one_series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]), SPEC, 4, "MS")
    origin = frame[frame["ds"] == pd.Timestamp("2020-03-01")].set_index("horizon")
    unit = origin["scale"]
    # target 2020-04 (h=1): lag 3 = 2020-01 = 1.0 ; target 2020-06 (h=3): 2020-03 = 3.0
    assert origin.loc[1, "slag3"] * unit[1] == pytest.approx(1.0)
    assert origin.loc[3, "slag3"] * unit[3] == pytest.approx(3.0)
    assert np.isnan(origin.loc[4, "slag3"])
    assert list(origin["y"]) == [4.0, 5.0, 6.0, 7.0]


def test_features_ignore_values_at_or_after_the_target(make_panel) -> None:
    """Changing y after an origin leaves every feature of that origin's rows unchanged."""
    df = make_panel(5, 30, seed=3)
    spec = LagFeatureSpec(lags=(0, 1, 2), seasonal_lags=(12,), windows=(3, 6), scale_window=6)
    origin = pd.Timestamp("2016-06-01")
    changed = df.copy()
    changed.loc[changed["ds"] > origin, "y"] *= 10
    cols = lambda f: f.drop(columns=["y"])  # noqa: E731
    a = direct_training_frame(df, spec, 6, "MS").query("ds <= @origin")
    b = direct_training_frame(changed, spec, 6, "MS").query("ds <= @origin")
    pd.testing.assert_frame_equal(cols(a).reset_index(drop=True), cols(b).reset_index(drop=True))


def test_grid_checks_and_gap_filling() -> None:
    gappy = one_series([1.0, 2.0, 3.0]).drop(index=1)
    with pytest.raises(ValueError, match="gaps"):
        check_long_frame(gappy, "MS")
    filled = fill_gaps(gappy, "MS")
    check_long_frame(filled, "MS")
    assert filled["y"].tolist() == [1.0, 0.0, 3.0]
    with pytest.raises(ValueError, match="missing column"):
        check_long_frame(gappy.drop(columns="y"), "MS")
    with pytest.raises(ValueError, match="date_features"):
        LagFeatureSpec(date_features=("fortnight",))


def test_demand_classes_follow_syntetos_boylan() -> None:
    smooth = one_series([10.0, 11.0, 9.0, 10.0])
    lumpy = one_series([0.0, 0.0, 1.0, 0.0, 0.0, 50.0]).assign(unique_id="b")
    never = one_series([0.0, 0.0]).assign(unique_id="c")
    classes = demand_class(pd.concat([smooth, lumpy, never]))
    assert classes.to_dict() == {"a": "smooth", "b": "lumpy", "c": "zero"}


def test_rolling_demand_class_is_the_class_of_each_trailing_window():
    from features.timeseries import demand_class, rolling_demand_class

    rng = np.random.default_rng(5)
    days = 60
    y = np.concatenate([rng.poisson(3, days), rng.poisson(0.3, days) * rng.integers(1, 9, days), np.zeros(days)])
    df = pd.DataFrame({"unique_id": np.repeat(["a", "b", "c"], days),
                       "ds": np.tile(pd.date_range("2024-01-01", periods=days), 3), "y": y.astype("float64")})
    rolled = rolling_demand_class(df, 14)
    for i in range(0, len(df), 7):
        row = df.iloc[i]
        window = df[(df["unique_id"] == row["unique_id"]) & (df["ds"] > row["ds"] - pd.Timedelta(days=14))
                    & (df["ds"] <= row["ds"])]
        assert rolled.iloc[i] == demand_class(window).iloc[0]
