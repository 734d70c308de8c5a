"""Rolling-origin backtests: refit at each origin on data up to it, forecast the next h periods,
and score the model and every baseline with the same metric functions, overall and per segment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
from pandas.tseries.frequencies import to_offset

from features.timeseries import ID, TARGET, TIME, demand_class
from training import forecast_metrics as fm
from training.forecasting.baselines import baseline_forecasts
from training.forecasting.model import DemandForecaster

QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class BacktestResult:
    """``predictions``: a row per (origin, model, series, date) with ``y``; ``metrics``: scores."""

    predictions: pd.DataFrame
    metrics: pd.DataFrame


def naive_scale(history: pd.DataFrame, season_length: int) -> pd.Series:
    """Per-series in-sample MAE of the seasonal naive (lag 1 if history is shorter): MASE's unit."""
    data = history.sort_values([ID, TIME])
    grouped = data.groupby(ID)[TARGET]
    seasonal = (data[TARGET] - grouped.shift(season_length)).abs().groupby(data[ID]).mean()
    lag1 = (data[TARGET] - grouped.shift(1)).abs().groupby(data[ID]).mean()
    return seasonal.fillna(lag1).rename("mase_scale")


def score(frame: pd.DataFrame) -> dict[str, float]:
    """All forecast metrics of a prediction frame holding ``y, p10, p50, p90, mase_scale``."""
    y = frame[TARGET].to_numpy()
    return {
        "n": float(len(frame)),
        "mae": fm.mae(y, frame["p50"]),
        "mase": fm.mase(y, frame["p50"], scale=frame["mase_scale"]),
        "wape": fm.wape(y, frame["p50"]),
        "pinball": fm.mean_pinball_loss(y, frame[["p10", "p50", "p90"]], quantiles=QUANTILES),
        "coverage_80": fm.interval_coverage(y, frame[["p10", "p90"]]),
    }


def score_table(predictions: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Metrics per group of ``by`` columns; rows missing a forecast are left out (see ``n``)."""
    rows = []
    clean = predictions.dropna(subset=["p10", "p50", "p90", TARGET])
    for key, grp in clean.groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key, strict=True)), **score(grp)})
    return pd.DataFrame(rows)


def rolling_origin_backtest(
    df: pd.DataFrame,
    make_forecaster: Callable[[], DemandForecaster],
    origins: Sequence[pd.Timestamp],
    h: int,
    freq: str,
    season_length: int,
    baselines: bool = True,
) -> BacktestResult:
    """Backtest at each origin; the test window's covariates are given, its ``y`` never is."""
    offset = to_offset(freq)
    parts = []
    for origin in origins:
        origin = pd.Timestamp(origin)
        train = df[df[TIME] <= origin]
        test = df[(df[TIME] > origin) & (df[TIME] <= origin + h * offset)]
        future = test.drop(columns=[TARGET])
        preds = [make_forecaster().fit(train).predict(h, future).assign(model="LightGBM")]
        if baselines:
            preds.append(baseline_forecasts(train, h, freq, season_length))
        pred = pd.concat(preds, ignore_index=True)
        pred = pred.merge(test[[ID, TIME, TARGET]], on=[ID, TIME], how="inner")
        pred = pred.merge(
            naive_scale(train, season_length), left_on=ID, right_index=True, how="left"
        )
        pred = pred.merge(demand_class(train), left_on=ID, right_index=True, how="left")
        parts.append(pred.assign(origin=origin))
    predictions = pd.concat(parts, ignore_index=True)
    overall = score_table(predictions.assign(segment="all"), ["model", "segment"])
    segments = score_table(
        predictions.rename(columns={"demand_class": "segment"}), ["model", "segment"]
    )
    by_origin = predictions.assign(
        segment="origin " + predictions["origin"].dt.strftime("%Y-%m-%d")
    )
    per_origin = score_table(by_origin, ["model", "segment"])
    metrics = pd.concat([overall, per_origin, segments], ignore_index=True)
    return BacktestResult(predictions=predictions, metrics=metrics)
