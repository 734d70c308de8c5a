"""Zero lower bound: a series that sold nothing in at least a tenth of its recent periods gets a
P10 of zero.

Why: when zeros make up a share ``q`` or more of a series' outcomes, its ``q``-quantile is zero.
The quantile booster (which predicts in units of a series' recent level) and the statistical
models (continuous levels) give such series small positive P10s, so their months without demand
fall below the interval: new, intermittent and lumpy series are the ones whose P10-P90 intervals
cover least without it. The zero share is read from each series' last ``periods`` periods up to
the forecast origin; P50 and P90 are left as they are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.timeseries import ID, TARGET, TIME
from training.forecasting.backtest import training_window
from training.forecasting.model import quantile_column

LOWER_LEVEL = 0.1
LOWER = quantile_column(LOWER_LEVEL)


def zero_share(history: pd.DataFrame, periods: int) -> pd.Series:
    """Per series, the share of its last ``periods`` periods of ``history`` without demand."""
    recent = history.sort_values(TIME).groupby(ID).tail(periods)
    return (recent[TARGET] <= 0).groupby(recent[ID]).mean().rename("zero_share")


def zero_lower_bound(forecasts: pd.DataFrame, history: pd.DataFrame, periods: int) -> pd.DataFrame:
    """``forecasts`` (long: ``unique_id`` and ``p10``) with P10 zero for every series whose zero
    share over its last ``periods`` periods of ``history`` is at least 0.1. Series absent from
    ``history`` keep their forecasts."""
    share = forecasts[ID].map(zero_share(history, periods))
    return _bounded(forecasts, share.to_numpy())


def zero_lower_bound_windows(predictions: pd.DataFrame, history: pd.DataFrame, periods: int) -> pd.DataFrame:
    """``zero_lower_bound`` on backtest window forecasts (``origin`` column), each window's zero
    shares read from the history up to its own origin."""
    share = np.full(len(predictions), np.nan)
    origins = predictions["origin"].to_numpy()
    for origin in pd.unique(origins):
        rows = origins == origin
        shares = zero_share(training_window(history, origin), periods)
        share[rows] = predictions.loc[rows, ID].map(shares).to_numpy()
    return _bounded(predictions, share)


def _bounded(forecasts: pd.DataFrame, share: np.ndarray) -> pd.DataFrame:
    out = forecasts.copy()
    out[LOWER] = np.where(share >= LOWER_LEVEL, 0.0, out[LOWER].to_numpy(dtype="float64"))
    return out
