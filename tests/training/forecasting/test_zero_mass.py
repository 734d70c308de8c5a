"""Zero lower bound: P10 is zero for a series with no demand in a tenth or more of its recent
periods, as known at each forecast origin; every other forecast is left as it is."""

from __future__ import annotations

import pandas as pd

from training.forecasting.zero_mass import zero_lower_bound, zero_lower_bound_windows

MONTHS = pd.date_range("2020-01-01", periods=14, freq="MS")


def history_of(**series: list[float]) -> pd.DataFrame:
    return pd.concat(
        [pd.DataFrame({"unique_id": name, "ds": MONTHS[: len(y)], "y": y}) for name, y in series.items()],
        ignore_index=True,
    )


def forecasts_for(*names: str, origin: pd.Timestamp | None = None) -> pd.DataFrame:
    out = pd.DataFrame(
        {"unique_id": list(names), "ds": pd.Timestamp("2021-03-01"), "p10": 2.0, "p50": 5.0, "p90": 9.0}
    )
    return out if origin is None else out.assign(origin=origin)


def test_series_with_months_without_demand_get_a_zero_p10_and_keep_p50_and_p90() -> None:
    history = history_of(
        intermittent=[5.0] * 11 + [0.0, 6.0, 0.0],  # 2 of the last 12 months without demand
        one_gap=[5.0] * 12 + [0.0, 6.0],  # 1 of 12: less than a tenth
        steady=[0.0, 0.0] + [5.0] * 12,  # its zeros are older than the last 12 months
        launched=[0.0] * 10 + [3.0, 4.0, 6.0, 8.0],
    )
    forecasts = forecasts_for("intermittent", "one_gap", "steady", "launched", "unseen")
    out = zero_lower_bound(forecasts, history, periods=12).set_index("unique_id")
    assert out.loc["intermittent", "p10"] == 0.0
    assert out.loc["launched", "p10"] == 0.0
    assert out.loc["steady", "p10"] == 2.0
    assert out.loc["one_gap", "p10"] == 2.0
    assert out.loc["unseen", "p10"] == 2.0  # no history: nothing to read a zero share from
    assert (out["p50"] == 5.0).all() and (out["p90"] == 9.0).all()


def test_a_backtest_window_reads_only_the_months_up_to_its_own_origin() -> None:
    history = history_of(later_zeros=[5.0] * 10 + [0.0, 0.0, 0.0, 0.0])
    early, late = MONTHS[9], MONTHS[13]
    predictions = pd.concat([forecasts_for("later_zeros", origin=early), forecasts_for("later_zeros", origin=late)])
    out = zero_lower_bound_windows(predictions.reset_index(drop=True), history, periods=12)
    assert out.set_index("origin").loc[early, "p10"] == 2.0  # its zeros came after this origin
    assert out.set_index("origin").loc[late, "p10"] == 0.0
