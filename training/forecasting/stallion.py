"""Stallion (agency x SKU monthly volume) adapter: raw frames to long format, the model spec, and
forecasts for every row of a known-covariates frame, robust to unseen series and odd dtypes.

Covariate roles are read from the data: numeric columns present in the future frame are known in
advance (prices, discounts, holidays); numeric columns only in the history (industry volume,
temperature) are used as past covariates at the forecast origin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contracts.keys import series_id
from features.timeseries import ID, TARGET, TIME, LagFeatureSpec
from training.forecasting.backtest import (
    ensemble_backtest,
    window_forecasts,
    window_origins,
    window_scores,
    window_summary,
)
from training.forecasting.baselines import baseline_forecasts
from training.forecasting.blend import QUANTILE_COLUMNS, BlendSpec, blended_windows
from training.forecasting.ensemble import EnsembleForecaster, EnsembleSpec, earlier_origins
from training.forecasting.forecaster import ForecasterChoice, make_demand_forecaster, model_label
from training.forecasting.model import DemandSpec
from training.forecasting.zero_mass import zero_lower_bound, zero_lower_bound_windows

KEYS = ("agency", "sku", "date")
VOLUME = "volume"


def _keys(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    missing = sorted(set(KEYS) - set(frame.columns))
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}")
    out = frame.copy()
    out["agency"] = out["agency"].astype("string").fillna("<missing>")
    out["sku"] = out["sku"].astype("string").fillna("<missing>")
    dates = pd.to_datetime(out["date"], errors="coerce", format="mixed", utc=True).dt.tz_localize(
        None
    )
    if dates.isna().any():
        raise ValueError(f"{name}: column 'date' has {int(dates.isna().sum())} unparsable value(s)")
    out["date"] = dates.dt.to_period("M").dt.to_timestamp()
    out[ID] = series_id(out, ("agency", "sku"))
    out[TIME] = out["date"]
    return out


def covariate_roles(train: pd.DataFrame, future: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(known-in-advance, past-only) numeric covariates, decided by presence in ``future``."""
    candidates = [c for c in train.columns if c not in (*KEYS, VOLUME, ID, TIME, TARGET)]
    numeric = [c for c in candidates if pd.to_numeric(train[c], errors="coerce").notna().any()]
    known = [c for c in numeric if c in future.columns]
    return known, [c for c in numeric if c not in future.columns]


def to_long(train: pd.DataFrame, covariates: list[str]) -> pd.DataFrame:
    """Long monthly frame; every series completed up to the last month (missing volume = 0)."""
    if VOLUME not in train.columns:
        raise ValueError(f"train: missing column '{VOLUME}'")
    data = _keys(train, "train")
    data[TARGET] = pd.to_numeric(data[VOLUME], errors="coerce")
    for col in covariates:
        data[col] = pd.to_numeric(data[col], errors="coerce").astype("float64")
    agg = {TARGET: "sum", "agency": "first", "sku": "first", **{c: "mean" for c in covariates}}
    data = data.groupby([ID, TIME], as_index=False).agg(agg)
    last = data[TIME].max()
    starts = data.groupby(ID)[TIME].min()
    months = (last.to_period("M") - starts.dt.to_period("M")).map(lambda p: p.n) + 1
    first = pd.PeriodIndex(np.repeat(starts.dt.to_period("M").to_numpy(), months.to_numpy()))
    grid = pd.DataFrame({ID: np.repeat(starts.index.to_numpy(), months.to_numpy())})
    grid[TIME] = (first + grid.groupby(ID).cumcount().to_numpy()).to_timestamp()
    full = grid.merge(data, on=[ID, TIME], how="left")
    statics = data.groupby(ID)[["agency", "sku"]].first()
    full["agency"] = full[ID].map(statics["agency"])
    full["sku"] = full[ID].map(statics["sku"])
    full[TARGET] = full[TARGET].fillna(0.0)
    return full


def future_long(future: pd.DataFrame, known: list[str]) -> pd.DataFrame:
    data = _keys(future, "future")
    for col in known:
        data[col] = pd.to_numeric(data[col], errors="coerce").astype("float64")
    return data


def stallion_spec(known: list[str], past: list[str], horizon: int) -> DemandSpec:
    """Monthly spec: recent lags, the same month last year, 3/6/12-month windows, and prices of
    the target month relative to the origin month (demand reacts to price *changes*)."""
    relative = tuple(c for c in ("price_actual", "discount_in_percent") if c in known)
    return DemandSpec(
        features=LagFeatureSpec(
            lags=(0, 1, 2, 3, 5, 11),
            seasonal_lags=(12,),
            windows=(3, 6, 12),
            date_features=("month",),
            past_covariates=(*past, *relative),
            scale_window=12,
        ),
        relative_covariates=relative,
        horizon=horizon,
        freq="MS",
        known_covariates=tuple(known),
        static_categoricals=("agency", "sku"),
        params={"learning_rate": 0.03},
    )


def months_ahead(last: pd.Timestamp, dates: pd.Series) -> int:
    """Largest number of months between ``last`` and ``dates`` (at least 1)."""
    diff = (dates.dt.year - last.year) * 12 + (dates.dt.month - last.month)
    return max(int(diff.max()) if len(diff) else 1, 1)


def forecast_rows(
    history: pd.DataFrame,
    future: pd.DataFrame,
    spec: DemandSpec,
    choice: ForecasterChoice = None,
    windows: dict[pd.Timestamp, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """P10/P50/P90 for every ``future`` row (same order; ``model`` names the forecaster used):
    the LightGBM, its blend (``BlendSpec``) or its combination (``EnsembleSpec``, reusing
    ``windows`` from ``validate``). A history too short for the combination's earlier windows
    falls back to the LightGBM, one too short for the LightGBM to the naive baseline. Series never
    seen get the median of their SKU (else of all series) for that month, because a new
    agency-SKU pair has no history of its own. Series without demand in at least a tenth of their
    last ``scale_window`` months get a P10 of zero (``zero_mass``)."""
    pred, used = None, "Naive"
    for candidate in dict.fromkeys([choice, None]):
        try:
            model = make_demand_forecaster(spec, candidate)
            if isinstance(model, EnsembleForecaster):
                model.fit(history, windows)
            else:
                model.fit(history)
            pred, used = model.predict(spec.horizon, future), model_label(candidate)
            break
        except ValueError:
            continue
    if pred is None:
        base = baseline_forecasts(history, spec.horizon, spec.freq, season_length=12, names=("Naive",))
        pred = base.drop(columns="model")
    pred = zero_lower_bound(pred, history, spec.features.scale_window)
    pred = pred.merge(history.groupby(ID)["sku"].first(), left_on=ID, right_index=True)
    out = future[[ID, TIME, "agency", "sku"]].merge(
        pred[[ID, TIME, *QUANTILE_COLUMNS]], on=[ID, TIME], how="left"
    )
    for level in (["sku", TIME], [TIME]):
        fill = pred.groupby(level)[list(QUANTILE_COLUMNS)].median()
        filled = out[level].merge(fill, left_on=level, right_index=True, how="left")
        for col in QUANTILE_COLUMNS:
            out[col] = out[col].fillna(pd.Series(filled[col].to_numpy(), index=out.index))
    out[list(QUANTILE_COLUMNS)] = out[list(QUANTILE_COLUMNS)].fillna(0.0)
    out["date"] = out[TIME]
    out["model"] = used
    return out


def validate(
    history: pd.DataFrame,
    spec: DemandSpec,
    ensemble: EnsembleSpec,
    with_ensemble: bool,
    scored: int = 2,
    blend: BlendSpec | None = None,
) -> tuple[pd.DataFrame, dict[pd.Timestamp, pd.DataFrame]]:
    """Rolling-origin check inside ``history``: the last ``scored`` windows (``ensemble.step``
    periods apart, the newest ending at the last period), plus, ``with_ensemble``, the earlier
    windows the combination learns from at those origins. Returns, per model (``blend`` too,
    from the same members' forecasts), the mean and spread of MAE and P10-P90 coverage over the
    scored windows (diff = MAE minus the LightGBM's), and every window's forecasts
    (``forecast_rows`` reuses them). Every model is scored with the zero lower bound
    ``forecast_rows`` applies."""
    month = pd.DateOffset(months=1)
    last = history[TIME].max()
    oldest_scored = last - (spec.horizon + (scored - 1) * ensemble.step) * month
    first = (
        earlier_origins(oldest_scored, spec.horizon, spec.freq, ensemble)[0]
        if with_ensemble
        else oldest_scored
    )
    origins = window_origins(first, last, spec.horizon, ensemble.step, spec.freq)
    windows = window_forecasts(history, spec, ensemble, origins, views=blend.lightgbm_views if blend else ())
    predictions = ensemble_backtest(windows, spec, ensemble)
    if blend is not None:
        predictions = pd.concat([predictions, blended_windows(predictions, [blend])], ignore_index=True)
    predictions = zero_lower_bound_windows(predictions, history, spec.features.scale_window)
    scores = window_scores(predictions)
    scores = scores[scores["origin"] >= oldest_scored]
    return window_summary(scores, reference=model_label(None)), windows
