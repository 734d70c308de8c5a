"""The backtest checks of a blend: weights chosen before each window from earlier windows only, and
whether a blend is ahead of each of its parts and of the baselines beyond the spread."""

from __future__ import annotations

import pandas as pd
import pytest

from features.timeseries import ID, TARGET, TIME
from training.forecasting.blend import BlendSpec
from training.forecasting.blend_checks import ahead_of_parts, chosen_blends

ORIGINS = pd.date_range("2015-01-01", periods=6, freq="3MS")  # three months apart
HORIZON = 6  # months in each window
SERIES = ("a", "b")
ACTUAL = 100.0


def _windows(errors: dict[str, list[float]]) -> pd.DataFrame:
    """Point forecasts (P10 = P50 = P90) of each model, ``errors[model][k]`` above the actual in
    every month of window ``k``."""
    rows = []
    for model, per_window in errors.items():
        for origin, error in zip(ORIGINS, per_window, strict=True):
            for month in pd.date_range(origin + pd.DateOffset(months=1), periods=HORIZON, freq="MS"):
                for uid in SERIES:
                    point = ACTUAL + error
                    rows.append({"origin": origin, ID: uid, TIME: month, "model": model, TARGET: ACTUAL,
                                 "p10": point, "p50": point, "p90": point})
    return pd.DataFrame(rows)


def _only(member: str) -> BlendSpec:
    return BlendSpec(weights=((member, 1.0),), season_length=12)


def test_each_origin_gets_the_blend_best_on_the_windows_that_ended_before_it() -> None:
    # The LightGBM is exact on the first three windows, AutoETS on the last three: a choice that
    # peeked at the scored window would switch to AutoETS at the fifth origin already.
    predictions = _windows({"LightGBM": [0, 0, 0, 30, 10, 10], "AutoETS": [10, 10, 10, 0, 0, 0]})
    candidates = {"lightgbm": _only("LightGBM"), "autoets": _only("AutoETS")}

    chosen = chosen_blends(predictions, candidates, "chosen", n_windows=2, horizon=HORIZON)

    choice = chosen.groupby("origin")["choice"].first()
    # 2015-07 has one window (2015-01) that ended by it, too few; 2015-10 reads 2015-01 and 2015-04,
    # 2016-01 reads 2015-04 and 2015-07, 2016-04 reads 2015-07 and 2015-10.
    assert choice.to_dict() == {ORIGINS[3]: "lightgbm", ORIGINS[4]: "lightgbm", ORIGINS[5]: "autoets"}
    assert set(chosen["model"]) == {"chosen"}
    expected = predictions.set_index(["origin", ID, TIME, "model"])["p50"]
    for origin, key in choice.items():
        member = candidates[key].weights[0][0]
        rows = chosen[chosen["origin"] == origin]
        assert len(rows) == HORIZON * len(SERIES)
        keys = zip(rows[ID], rows[TIME], strict=True)
        assert rows["p50"].tolist() == [expected[origin, uid, month, member] for uid, month in keys]


@pytest.fixture
def steady_history() -> pd.DataFrame:
    """Two years of demand without a zero month: the zero lower bound changes no forecast."""
    months = pd.date_range("2013-01-01", "2016-12-01", freq="MS")
    return pd.DataFrame([{ID: uid, TIME: month, TARGET: ACTUAL} for uid in SERIES for month in months])


def test_the_parts_check_says_where_the_blend_is_ahead_beyond_the_spread(steady_history) -> None:
    blend = BlendSpec(weights=(("LightGBM", 0.5), ("AutoETS", 0.5)), season_length=12)
    errors = {
        blend.label: [5, 5, 5, 5, 5, 10],
        "LightGBM": [15, 15, 15, 15, 15, 15],
        "AutoETS": [-15, -15, -15, -15, -15, -30],
        "SeasonalNaive": [20, 20, 20, 20, 20, 20],  # always behind the blend
        "Naive": [0, 0, 0, 40, 40, 40],  # ahead of it in half the windows, far behind in the others
    }

    table = ahead_of_parts(_windows(errors), blend, steady_history, periods=12).set_index(["metric", "against"])

    mae = table.loc["mae"]
    assert list(mae.index) == ["LightGBM", "AutoETS", "Naive", "SeasonalNaive"]
    # LightGBM minus blend per window: 10 five times, then 5.
    assert mae.loc["LightGBM", "mean"] == pytest.approx(55 / 6)
    assert mae.loc["LightGBM", "sd"] == pytest.approx(pd.Series([10] * 5 + [5]).std())
    assert mae.loc["LightGBM", "blend_wins"] == 6 and mae.loc["LightGBM", "windows"] == 6
    assert mae["beyond_spread"].to_dict() == {
        "LightGBM": True, "AutoETS": True, "Naive": False, "SeasonalNaive": True,
    }
    assert mae.loc["Naive", "blend_wins"] == 3  # the three windows where the last value misses by 40
    assert table.loc[("pinball", "Naive"), "beyond_spread"] == False  # noqa: E712 (numpy bool)


def test_the_parts_check_reads_the_zero_lower_bound_from_each_window_history(steady_history) -> None:
    # Series "a" sold nothing through 2014: in the windows whose last 12 months hold two zero months
    # or more its P10 becomes zero for every model, which moves their pinball losses by different
    # amounts and leaves the MAE of P50 alone.
    history = steady_history.copy()
    history.loc[(history[ID] == "a") & (history[TIME] >= "2014-01-01") & (history[TIME] <= "2014-12-01"), TARGET] = 0
    blend = BlendSpec(weights=(("LightGBM", 0.5), ("AutoETS", 0.5)), season_length=12)
    errors = {"LightGBM": [10] * 6, "AutoETS": [-10] * 6, "SeasonalNaive": [20] * 6, "Naive": [5] * 6}
    predictions = _windows({**errors, blend.label: [0] * 6})

    bounded = ahead_of_parts(predictions, blend, history, periods=12).set_index(["metric", "against"])
    unbounded = ahead_of_parts(predictions, blend, steady_history, periods=12).set_index(["metric", "against"])

    pd.testing.assert_frame_equal(bounded.loc["mae"], unbounded.loc["mae"])
    assert (unbounded.loc["pinball", "sd"] == 0).all()  # the same gain in every window
    assert (bounded.loc["pinball", "sd"] > 0).all()  # the bounded windows' gains differ from the others'
