"""Forecast combination: the global LightGBM with statistical models, weighted by past windows.

Members: the project's ``DemandForecaster`` (LightGBM), statsforecast's AutoETS and AutoTheta on
every series, and Croston (optimized), TSB and ADIDA on intermittent series only (Syntetos-Boylan
ADI >= 1.32). Each member's P50 is combined with weights proportional to the inverse of its MAE
on earlier backtest windows, per (segment, horizon step) where segment is "intermittent" or
"regular"; a member missing for a row (an intermittent model on a regular series) has its weight
spread over the others. P10/P90 come from split-conformal calibration of the combined P50 on the
same earlier windows, per horizon step, in units of each series' recent mean volume: the members'
own intervals are not comparable enough to be combined.

Everything here is a pure function of frames, so the backtest script and ``EnsembleForecaster``
run the same code: the forecaster's earlier windows are the ones a rolling-origin backtest with
the same step would have observed before its origin (``earlier_origins``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from statsforecast import StatsForecast
from statsforecast.models import ADIDA, TSB, AutoETS, AutoTheta, CrostonOptimized

from features.timeseries import ID, TARGET, TIME
from training.forecasting.conformal import apply_conformal_offsets, fit_conformal_offsets
from training.forecasting.model import DemandForecaster, DemandSpec

LIGHTGBM = "LightGBM"
REGULAR_MODELS = ("AutoETS", "AutoTheta")
INTERMITTENT_MODELS = ("CrostonOptimized", "TSB", "ADIDA")
MEMBERS = (LIGHTGBM, *REGULAR_MODELS, *INTERMITTENT_MODELS)
INTERMITTENT_ADI = 1.32
QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class EnsembleSpec:
    """How the combination is learned: from ``n_windows`` backtest windows whose origins are
    ``step`` periods apart and whose forecasts all lie before the fitting origin; ``power`` sharpens
    inverse-error weights (0 = equal weights)."""

    season_length: int
    n_windows: int = 4
    step: int = 3
    power: float = 1.0
    interval_level: float = 0.8

    def __post_init__(self) -> None:
        if self.n_windows < 1 or self.step < 1:
            raise ValueError("EnsembleSpec: n_windows and step must be at least 1")
        if not 0 < self.interval_level < 1:
            raise ValueError("EnsembleSpec: interval_level must be between 0 and 1")


@dataclass(frozen=True)
class Combination:
    """Learned weights (``segment, horizon, model, weight``) and conformal offsets per horizon."""

    weights: pd.DataFrame
    offsets: pd.DataFrame


def segments(history: pd.DataFrame) -> pd.Series:
    """"intermittent" (ADI >= 1.32: a non-zero demand every 1.32 periods or less often) or "regular"."""
    y = history[TARGET].astype("float64")
    nonzero = (y > 0).groupby(history[ID]).sum()
    adi = y.groupby(history[ID]).count() / nonzero.replace(0, np.nan)
    return pd.Series(
        np.where(adi.isna() | (adi >= INTERMITTENT_ADI), "intermittent", "regular"),
        index=adi.index,
        name="segment",
    )


def series_scale(history: pd.DataFrame, window: int) -> pd.Series:
    """Mean |y| of each series' last ``window`` periods: the unit of the conformal residuals."""
    recent = history.sort_values(TIME).groupby(ID).tail(window)
    return recent[TARGET].abs().groupby(recent[ID]).mean().rename("scale")


def horizon_steps(ds: pd.Series, origin: pd.Timestamp, freq: str, h: int) -> np.ndarray:
    """Periods between ``origin`` and each date (1..h); dates off that grid raise."""
    grid = pd.date_range(pd.Timestamp(origin), periods=h + 1, freq=freq)[1:]
    steps = pd.to_datetime(ds).map(dict(zip(grid, range(1, h + 1), strict=True)))
    if steps.isna().any():
        raise ValueError(f"ds: dates outside the {h} periods after the origin {origin}")
    return steps.to_numpy(dtype="int64")


def statistical_forecasts(
    history: pd.DataFrame, h: int, freq: str, season_length: int
) -> pd.DataFrame:
    """Long ``unique_id, ds, model, p10, p50, p90``: AutoETS and AutoTheta (80% intervals) on every
    series, the intermittent models (point only) on intermittent series."""
    data = history[[ID, TIME, TARGET]].astype({TARGET: "float64"})
    # On short series AutoETS tries models with as many parameters as points: their variance
    # divides by zero and the model is then ranked last, which is the wanted outcome.
    with np.errstate(divide="ignore", invalid="ignore"):
        regular = StatsForecast(
            models=[AutoETS(season_length=season_length), AutoTheta(season_length=season_length)],
            freq=freq,
            n_jobs=1,
        ).forecast(h=h, df=data, level=[80])
    intermittent_ids = segments(data).loc[lambda s: s == "intermittent"].index
    frames = [_long(regular, REGULAR_MODELS, intervals=True)]
    sparse = data[data[ID].isin(intermittent_ids)]
    if not sparse.empty:
        wide = StatsForecast(
            models=[CrostonOptimized(), TSB(alpha_d=0.2, alpha_p=0.2), ADIDA()],
            freq=freq,
            n_jobs=1,
        ).forecast(h=h, df=sparse)
        frames.append(_long(wide, INTERMITTENT_MODELS, intervals=False))
    return pd.concat(frames, ignore_index=True)


def _long(wide: pd.DataFrame, names: tuple[str, ...], intervals: bool) -> pd.DataFrame:
    frames = []
    for name in names:
        point = np.clip(wide[name].to_numpy(dtype="float64"), 0, None)
        lo = np.clip(wide[f"{name}-lo-80"].to_numpy(dtype="float64"), 0, None) if intervals else point
        hi = np.clip(wide[f"{name}-hi-80"].to_numpy(dtype="float64"), 0, None) if intervals else point
        frames.append(
            pd.DataFrame(
                {ID: wide[ID].to_numpy(), TIME: pd.to_datetime(wide[TIME]).to_numpy(), "model": name,
                 "p10": np.minimum(lo, point), "p50": point, "p90": np.maximum(hi, point)}
            )
        )
    return pd.concat(frames, ignore_index=True)


def member_forecasts(
    history: pd.DataFrame,
    future: pd.DataFrame | None,
    spec: DemandSpec,
    ensemble: EnsembleSpec,
) -> tuple[pd.DataFrame, DemandForecaster]:
    """Every member's forecast for horizons 1..H after ``history`` (long, with ``model``), and
    the fitted LightGBM (the ensemble serves its origin and feature names)."""
    booster = DemandForecaster(spec).fit(history)
    lgbm = booster.predict(spec.horizon, future).assign(model=LIGHTGBM)
    stats = statistical_forecasts(history, spec.horizon, spec.freq, ensemble.season_length)
    members = pd.concat([lgbm[[ID, TIME, "model", "p10", "p50", "p90"]], stats], ignore_index=True)
    return members, booster


def annotate(
    members: pd.DataFrame, history: pd.DataFrame, origin: pd.Timestamp, spec: DemandSpec
) -> pd.DataFrame:
    """Add ``origin, horizon, segment, scale`` (the keys of the combination) to member forecasts."""
    out = members.assign(origin=pd.Timestamp(origin))
    out["horizon"] = horizon_steps(out[TIME], origin, spec.freq, spec.horizon)
    out["segment"] = out[ID].map(segments(history)).fillna("regular")
    out["scale"] = out[ID].map(series_scale(history, spec.features.scale_window))
    return out


def inverse_error_weights(backtest: pd.DataFrame, power: float) -> pd.DataFrame:
    """Weight of each member per (segment, horizon): MAE^-power on the backtest rows, normalised."""
    err = (backtest[TARGET] - backtest["p50"]).abs()
    mae = err.groupby([backtest["segment"], backtest["horizon"], backtest["model"]]).mean()
    raw = np.power(np.maximum(mae, 1e-9), -power)
    weights = raw / raw.groupby(level=["segment", "horizon"]).transform("sum")
    return weights.rename("weight").reset_index()


def combine_p50(members: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Weighted P50 per (series, date) over the members present; keys without learned weights
    (a segment unseen in the backtest) average their members equally."""
    keys = [ID, TIME, "origin", "horizon", "segment", "scale"]
    rows = members.merge(weights, on=["segment", "horizon", "model"], how="left")
    learned = rows.groupby(keys, dropna=False)["weight"].transform("count") > 0
    rows["weight"] = rows["weight"].fillna(0.0).where(learned, 1.0)
    rows["weighted"] = rows["weight"] * rows["p50"]
    grouped = rows.groupby(keys, as_index=False, dropna=False)[["weighted", "weight"]].sum()
    grouped["p50"] = grouped["weighted"] / grouped["weight"]
    return grouped.drop(columns=["weighted", "weight"])


def _interval_quantiles(level: float) -> tuple[float, float, float]:
    tail = (1 - level) / 2
    return (tail, 0.5, 1 - tail)


def fit_combination(backtest: pd.DataFrame, ensemble: EnsembleSpec) -> Combination:
    """Weights from the members' backtest errors, then conformal offsets of the combined P50 on
    the same rows (``backtest``: annotated member forecasts with ``y``)."""
    weights = inverse_error_weights(backtest, ensemble.power)
    truth = backtest.drop_duplicates([ID, TIME, "origin"])[[ID, TIME, "origin", TARGET]]
    combined = combine_p50(backtest.drop(columns=[TARGET]), weights).merge(
        truth, on=[ID, TIME, "origin"], how="inner"
    )
    quantiles = _interval_quantiles(ensemble.interval_level)
    center = combined["p50"].to_numpy()
    offsets = fit_conformal_offsets(
        combined["horizon"].to_numpy(),
        combined[TARGET].to_numpy(),
        np.column_stack([center] * len(quantiles)),
        combined["scale"].to_numpy(),
        quantiles,
    )
    # The centre stays the weighted P50: a median shift learned on earlier windows carries their
    # level errors into the next one.
    offsets[0.5] = 0.0
    return Combination(weights=weights, offsets=offsets)


def apply_combination(members: pd.DataFrame, combination: Combination) -> pd.DataFrame:
    """``unique_id, ds, origin, horizon, p10, p50, p90`` from annotated member forecasts."""
    combined = combine_p50(members, combination.weights)
    center = combined["p50"].to_numpy()
    n_quantiles = combination.offsets.shape[1]
    pred = apply_conformal_offsets(
        combined["horizon"].to_numpy(),
        np.column_stack([center] * n_quantiles),
        combined["scale"].to_numpy(),
        combination.offsets,
    )
    pred = np.clip(np.sort(pred, axis=1), 0.0, None)
    out = combined[[ID, TIME, "origin", "horizon"]].copy()
    out["p10"], out["p50"], out["p90"] = pred[:, 0], pred[:, n_quantiles // 2], pred[:, -1]
    return out


def earlier_origins(
    origin: pd.Timestamp, horizon: int, freq: str, ensemble: EnsembleSpec
) -> list[pd.Timestamp]:
    """Origins of the windows a combination fitted at ``origin`` learns from, oldest first: each
    window's last forecast date is at or before ``origin``."""
    offset = to_offset(freq)
    last = pd.Timestamp(origin) - horizon * offset
    return [last - k * ensemble.step * offset for k in range(ensemble.n_windows - 1, -1, -1)]


class EnsembleForecaster:
    """Same interface as ``DemandForecaster``: ``fit(df) -> self``, ``predict(h, future)``."""

    def __init__(self, spec: DemandSpec, ensemble: EnsembleSpec) -> None:
        self.spec = spec
        self.ensemble = ensemble

    def fit(
        self, df: pd.DataFrame, windows: dict[pd.Timestamp, pd.DataFrame] | None = None
    ) -> EnsembleForecaster:
        """Fit the members at each earlier window, learn the combination, refit on all of ``df``.

        ``windows`` (``backtest.window_forecasts`` on the same ``df``) supplies earlier windows
        already computed, so a backtest followed by a fit does not refit them.
        """
        spec, ensemble = self.spec, self.ensemble
        data = df.sort_values([ID, TIME]).reset_index(drop=True)
        covariates = [ID, TIME, *spec.known_covariates]
        parts = []
        for origin in earlier_origins(data[TIME].max(), spec.horizon, spec.freq, ensemble):
            if windows is not None and origin in windows:
                known = windows[origin]
                parts.append(known[known["model"].isin(MEMBERS)].drop(columns=[TARGET]))
                continue
            past = data[data[TIME] <= origin]
            members, _ = member_forecasts(past, data[data[TIME] > origin][covariates], spec, ensemble)
            parts.append(annotate(members, past, origin, spec))
        truth = data[[ID, TIME, TARGET]]
        backtest = pd.concat(parts, ignore_index=True).merge(truth, on=[ID, TIME], how="inner")
        self.combination_ = fit_combination(backtest, ensemble)
        self.history_ = data
        self.members_, self.booster_ = member_forecasts(data, None, spec, ensemble)
        self.origin_ = self.booster_.origin_
        self.feature_names_ = self.booster_.feature_names_
        self.fit_info_ = {
            **self.booster_.fit_info_,
            "ensemble_windows": [str(pd.Timestamp(o).date()) for o in sorted(backtest["origin"].unique())],
        }
        return self

    def predict(self, h: int, future_covariates: pd.DataFrame | None = None) -> pd.DataFrame:
        """P10/P50/P90 for horizons 1..h; the LightGBM member reads ``future_covariates``."""
        spec = self.spec
        if not 1 <= h <= spec.horizon:
            raise ValueError(f"h must be between 1 and the fitted horizon {spec.horizon}")
        lgbm = self.booster_.predict(h, future_covariates).assign(model=LIGHTGBM)
        stats = self.members_[self.members_["model"] != LIGHTGBM]
        members = pd.concat([lgbm, stats], ignore_index=True)
        origin = self.history_[TIME].max()
        members = members[members[TIME] <= origin + h * to_offset(spec.freq)]
        annotated = annotate(members, self.history_, origin, spec)
        out = apply_combination(annotated, self.combination_)
        return out[[ID, TIME, "p10", "p50", "p90"]].sort_values([ID, TIME]).reset_index(drop=True)
