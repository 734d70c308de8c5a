"""Baselines scored beside the LightGBM model: statsforecast's, and the recent mean that serves
without a demand champion.

Naive (last value), seasonal naive, moving average, AutoETS and CrostonOptimized (for
intermittent demand). P10/P90 are the 80% intervals: native for Naive, SeasonalNaive and AutoETS;
split-conformal (statsforecast ``ConformalIntervals``) for the moving average and Croston, which
have no distributional model. Where a series is too short for conformal windows, the bounds fall
back to the point forecast (coverage then counts honestly as missed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, CrostonOptimized, Naive, SeasonalNaive, WindowAverage
from statsforecast.utils import ConformalIntervals

from features.recent_demand import RECENT_DAYS, recent_quantiles
from features.timeseries import ID, TARGET, TIME

BASELINES = ("Naive", "SeasonalNaive", "WindowAverage", "AutoETS", "CrostonOptimized")
# The daily demand that serves without a demand champion (``recent_mean_forecasts``).
RECENT_MEAN = "RecentMean"


def baseline_forecasts(
    df: pd.DataFrame,
    h: int,
    freq: str,
    season_length: int,
    window: int = 3,
    names: tuple[str, ...] = BASELINES,
) -> pd.DataFrame:
    """Long frame ``unique_id, ds, model, p10, p50, p90`` for the ``names`` baselines, horizons 1..h."""
    unknown = sorted(set(names) - set(BASELINES))
    if unknown:
        raise ValueError(f"names: unknown baseline(s) {unknown}; known: {list(BASELINES)}")
    data = df[[ID, TIME, TARGET]].astype({TARGET: "float64"}).dropna(subset=[TARGET])
    min_len = int(data.groupby(ID).size().min())
    n_windows = 2 if min_len > 3 * h else 0
    conformal = ConformalIntervals(h=h, n_windows=n_windows) if n_windows else None
    models = {
        "Naive": Naive(),
        "SeasonalNaive": SeasonalNaive(season_length=season_length),
        "WindowAverage": WindowAverage(window_size=window, prediction_intervals=conformal),
        "AutoETS": AutoETS(season_length=season_length),
        "CrostonOptimized": CrostonOptimized(prediction_intervals=conformal),
    }
    sf = StatsForecast(models=[models[name] for name in names], freq=freq, n_jobs=1)
    wide = sf.forecast(h=h, df=data, level=[80])
    frames = []
    for name in names:
        point = wide[name].to_numpy(dtype="float64")
        lo = wide.get(f"{name}-lo-80", pd.Series(point)).to_numpy(dtype="float64")
        hi = wide.get(f"{name}-hi-80", pd.Series(point)).to_numpy(dtype="float64")
        frames.append(
            pd.DataFrame(
                {
                    ID: wide[ID].to_numpy(),
                    TIME: wide[TIME].to_numpy(),
                    "model": name,
                    "p10": np.clip(np.minimum(lo, point), 0, None),
                    "p50": np.clip(point, 0, None),
                    "p90": np.clip(np.maximum(hi, point), 0, None),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def recent_mean_forecasts(df: pd.DataFrame, h: int) -> pd.DataFrame:
    """Long frame ``unique_id, ds, model, p10, p50, p90``: every series' ``RECENT_MEAN`` forecast for
    the ``h`` days after the last day of daily ``df``, the recent-demand quantiles of its last
    ``RECENT_DAYS`` (``features.recent_demand.recent_quantiles``). It is what serves without a demand
    champion, so a model the gate promotes has beaten it."""
    last = pd.Timestamp(df[TIME].max())
    recent = df[df[TIME] > last - pd.Timedelta(days=RECENT_DAYS)]
    rates = recent_quantiles(recent.rename(columns={TARGET: "actual"}), [ID])
    series = pd.Index(df[ID].unique(), name=ID)
    rates = rates.reindex(series, fill_value=0.0).reset_index()
    days = pd.DataFrame({TIME: pd.date_range(last + pd.Timedelta(days=1), periods=h, freq="D")})
    out = rates.merge(days, how="cross").assign(model=RECENT_MEAN)
    return out[[ID, TIME, "model", "p10", "p50", "p90"]]
