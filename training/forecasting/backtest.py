"""Rolling-origin backtests: refit at each origin on data up to it, forecast the next h periods,
and score the model and every baseline with the same metric functions, overall and per segment.

Forecasts are long frames in Nixtla's layout (``unique_id, ds, model, p10, p50, p90`` plus
``origin`` and ``y``). ``rolling_origin_backtest`` scores one forecaster at a few origins;
``window_forecasts`` / ``ensemble_backtest`` / ``window_scores`` / ``window_summary`` run every
demand model over many windows and report each model's mean and spread across them, which is
what model and feature choices are made on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
from pandas.tseries.frequencies import to_offset

from features.timeseries import ID, TARGET, TIME, demand_class
from training import forecast_metrics as fm
from training.forecasting.baselines import baseline_forecasts
from training.forecasting.blend import lightgbm_view
from training.forecasting.ensemble import (
    MEMBERS,
    EnsembleForecaster,
    EnsembleSpec,
    annotate,
    apply_combination,
    earlier_origins,
    fit_combination,
    member_forecasts,
)
from training.forecasting.model import DemandForecaster, DemandSpec

QUANTILES = (0.1, 0.5, 0.9)
BASELINE_MODELS = ("Naive", "SeasonalNaive")


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
    make_forecaster: Callable[[], DemandForecaster | EnsembleForecaster],
    origins: Sequence[pd.Timestamp],
    h: int,
    freq: str,
    season_length: int,
    baselines: bool = True,
    name: str = "LightGBM",
    served_without_model: Callable[[pd.DataFrame, int], pd.DataFrame] | None = None,
) -> BacktestResult:
    """Backtest at each origin; the test window's covariates are given, its ``y`` never is.
    ``served_without_model(train, h)`` forecasts what serves in the model's place, scored as
    one more baseline."""
    offset = to_offset(freq)
    parts = []
    for origin in origins:
        origin = pd.Timestamp(origin)
        train = training_window(df, origin)
        test = df[(df[TIME] > origin) & (df[TIME] <= origin + h * offset)]
        future = test.drop(columns=[TARGET])
        preds = [make_forecaster().fit(train).predict(h, future).assign(model=name)]
        if baselines:
            preds.append(baseline_forecasts(train, h, freq, season_length))
        if served_without_model is not None:
            preds.append(served_without_model(train, h))
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


# ---- many windows: members, baselines and their combination ----------------------------------
def window_origins(
    first: pd.Timestamp, end: pd.Timestamp, h: int, step: int, freq: str
) -> list[pd.Timestamp]:
    """Origins from ``first`` every ``step`` periods whose ``h`` forecast periods end by ``end``."""
    offset = to_offset(freq)
    last = pd.Timestamp(end) - h * offset
    if pd.Timestamp(first) > last:
        raise ValueError(f"first origin {first} leaves no {h}-period window before {end}")
    return list(pd.date_range(pd.Timestamp(first), last, freq=step * offset))


def training_window(df: pd.DataFrame, origin: pd.Timestamp) -> pd.DataFrame:
    """The rows a forecaster fitted at ``origin`` may see: strictly nothing after it."""
    return df[df[TIME] <= pd.Timestamp(origin)]


def window_forecasts(
    df: pd.DataFrame,
    spec: DemandSpec,
    ensemble: EnsembleSpec,
    origins: Sequence[pd.Timestamp],
    views: Sequence[str] = (),
) -> dict[pd.Timestamp, pd.DataFrame]:
    """Per origin: every member's and the Naive and SeasonalNaive baselines' forecasts, and those
    of the other LightGBM ``views`` a blend holds (``blend.lightgbm_view``), annotated
    (``annotate``) and joined to ``y``; each fitted on ``training_window(df, origin)`` only."""
    covariates = [ID, TIME, *spec.known_covariates]
    truth = df[[ID, TIME, TARGET]]
    windows = {}
    for origin in sorted(pd.Timestamp(o) for o in origins):
        past = training_window(df, origin)
        later = df[(df[TIME] > origin) & (df[TIME] <= origin + spec.horizon * to_offset(spec.freq))]
        members, _ = member_forecasts(past, later[covariates], spec, ensemble)
        base = baseline_forecasts(
            past, spec.horizon, spec.freq, ensemble.season_length, names=BASELINE_MODELS
        )
        extra = [
            lightgbm_view(name, spec).fit(past).predict(spec.horizon, later[covariates])
            .assign(model=name)[members.columns]
            for name in views if name not in members["model"].unique()
        ]
        both = pd.concat([members, *extra, base[members.columns]], ignore_index=True)
        windows[origin] = annotate(both, past, origin, spec).merge(truth, on=[ID, TIME])
    return windows


def ensemble_backtest(
    windows: dict[pd.Timestamp, pd.DataFrame], spec: DemandSpec, ensemble: EnsembleSpec
) -> pd.DataFrame:
    """Long predictions ``unique_id, ds, origin, model, p10, p50, p90, y``: every window's
    forecasts, plus ``Ensemble`` where the combination can be fitted on its members' forecasts
    of earlier windows only (the ones ``EnsembleForecaster`` would use at that origin)."""
    columns = [ID, TIME, "origin", "model", "p10", "p50", "p90", TARGET]
    parts = [frame[columns] for frame in windows.values()]
    for origin, frame in windows.items():
        needed = earlier_origins(origin, spec.horizon, spec.freq, ensemble)
        if not all(o in windows for o in needed):
            continue
        history = pd.concat([windows[o] for o in needed], ignore_index=True)
        combination = fit_combination(history[history["model"].isin(MEMBERS)], ensemble)
        members = frame[frame["model"].isin(MEMBERS)].drop(columns=[TARGET])
        combined = apply_combination(members, combination).assign(model="Ensemble")
        parts.append(combined.merge(frame[[ID, TIME, TARGET]].drop_duplicates([ID, TIME]))[columns])
    return pd.concat(parts, ignore_index=True)


def window_scores(predictions: pd.DataFrame) -> pd.DataFrame:
    """MAE of P50, P10-P90 coverage and mean pinball loss over P10/P50/P90 per (model, origin)."""
    rows = predictions.assign(
        abs_error=(predictions[TARGET] - predictions["p50"]).abs(),
        inside=predictions[TARGET].between(predictions["p10"], predictions["p90"]),
    )
    groups = rows.groupby(["model", "origin"])
    out = groups.agg(mae=("abs_error", "mean"), coverage=("inside", "mean"), n=("abs_error", "size"))
    out["pinball"] = groups[[TARGET, "p10", "p50", "p90"]].apply(
        lambda g: fm.mean_pinball_loss(g[TARGET], g[["p10", "p50", "p90"]], quantiles=QUANTILES)
    )
    return out.reset_index()


def window_summary(
    scores: pd.DataFrame,
    reference: str | None = None,
    metric: str = "mae",
    by: Sequence[str] = ("model",),
) -> pd.DataFrame:
    """Per ``by`` group (a model; or a level and a model) over windows: rows scored per window,
    mean, standard deviation, min and max of MAE, and the mean and spread of coverage, pinball
    loss and WAPE where scored; with ``reference``, the mean and spread of each group's ``metric`` minus
    the reference model's on the same window (and the same other ``by`` keys) and how many
    windows it wins (left empty for a model scored on other rows, such as the intermittent models
    on intermittent series only). Sorted by the mean of ``metric`` within the other ``by`` keys."""
    keys = list(by)
    spreads = {
        f"{col}_{stat}": (col, stat)
        for col in ("coverage", "pinball", "wape", "wape_window")
        if col in scores.columns
        for stat in ("mean", "std")
    }
    stats = scores.groupby(keys).agg(
        windows=("origin", "nunique"),
        rows=("n", "mean"),
        mae_mean=("mae", "mean"),
        mae_std=("mae", "std"),
        mae_min=("mae", "min"),
        mae_max=("mae", "max"),
        **spreads,
    )
    if reference is not None:
        window = ["origin", *(key for key in keys if key != "model")]
        ref = scores.loc[scores["model"] == reference, [*window, "n", metric]]
        both = scores.merge(ref, on=window, how="left", suffixes=("", "_ref"))
        diff = (both[metric] - both[f"{metric}_ref"]).where(both["n"] == both["n_ref"])
        paired = both.assign(diff=diff).groupby(keys).agg(
            diff_mean=("diff", "mean"),
            diff_std=("diff", "std"),
            wins=("diff", lambda d: int((d < 0).sum()) if d.notna().any() else pd.NA),
        )
        stats = stats.join(paired)
    return stats.reset_index().sort_values([*keys[:-1], f"{metric}_mean"]).reset_index(drop=True)


# ---- accuracy per demand class, new series apart ---------------------------------------------
NEW = "new"


def series_segments(history: pd.DataFrame, new_periods: int) -> pd.Series:
    """Per series: "new" if its first non-zero demand lies within the last ``new_periods``
    periods of ``history`` (or it has none yet), else its Syntetos-Boylan class over the periods
    since that first demand (before it, zeros say nothing about the series' intermittency)."""
    data = history[[ID, TIME, TARGET]]
    first = data[data[TARGET] > 0].groupby(ID)[TIME].min().reindex(data[ID].unique())
    cutoff = data[TIME].sort_values().unique()[-min(new_periods, data[TIME].nunique())]
    started = data[data[TIME] >= data[ID].map(first)]
    classes = demand_class(started).reindex(first.index)
    is_new = first.isna() | (first >= cutoff)
    return classes.where(~is_new, NEW).rename("segment")


def segment_scores(
    predictions: pd.DataFrame, history: pd.DataFrame, new_periods: int
) -> pd.DataFrame:
    """``window_scores`` per segment (``series_segments`` of the history up to each origin),
    as ``model, origin, segment, mae, coverage, n``."""
    parts = []
    for origin, frame in predictions.groupby("origin"):
        seg = series_segments(training_window(history, origin), new_periods)
        labelled = frame.assign(segment=frame[ID].map(seg).fillna(NEW))
        for segment, rows in labelled.groupby("segment"):
            parts.append(window_scores(rows).assign(segment=segment))
    return pd.concat(parts, ignore_index=True)
