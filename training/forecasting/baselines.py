"""Statistical baselines scored beside the LightGBM model, all from statsforecast.

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

from features.timeseries import ID, TARGET, TIME

BASELINES = ("Naive", "SeasonalNaive", "WindowAverage", "AutoETS", "CrostonOptimized")


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
