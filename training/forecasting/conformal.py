"""Split-conformal correction of quantile forecasts (asymmetric, Mondrian CQR).

Quantile boosters are usually over-confident out of sample, and not equally so everywhere. On a
calibration fold that lies after the training fold in time, we measure how far actuals fall
outside each predicted bound, in units of a per-row scale chosen by the caller (e.g. the
predicted interval width), separately per group (e.g. demand class), and shift every bound by
the empirical quantile of that excess: coverage then holds per group on exchangeable future
data whatever the booster learned. Groups unseen in calibration use the pooled offsets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

POOLED = "__pooled__"


def fit_conformal_offsets(
    group: np.ndarray,
    y: np.ndarray,
    pred: np.ndarray,
    scale: np.ndarray,
    quantiles: tuple[float, ...],
    min_group_size: int = 30,
) -> pd.DataFrame:
    """Offsets (index = group, plus ``POOLED``; one column per quantile) in ``scale`` units.

    For quantile ``q`` the offset is the empirical ``q``-quantile of ``(y - pred) / scale``, i.e.
    the shift that makes a share ``q`` of calibration actuals fall below the bound. Groups with
    fewer than ``min_group_size`` rows are left to the pooled offsets.
    """
    unit = np.where(scale > 0, scale, 1.0)
    resid = pd.DataFrame((y[:, None] - pred) / unit[:, None], columns=list(quantiles))
    rows = {POOLED: _offsets(resid, quantiles)}
    for key, grp in resid.groupby(np.asarray(group).astype(str)):
        if len(grp) >= min_group_size:
            rows[key] = _offsets(grp, quantiles)
    return pd.DataFrame.from_dict(rows, orient="index")


def _offsets(resid: pd.DataFrame, quantiles: tuple[float, ...]) -> dict[float, float]:
    n = len(resid)
    return {q: float(np.quantile(resid[q], _finite_sample_level(q, n))) for q in quantiles}


def _finite_sample_level(q: float, n: int) -> float:
    """Push tail levels outwards by the split-conformal finite-sample correction (n + 1) / n."""
    if q > 0.5:
        return min(1.0, q * (n + 1) / n)
    if q < 0.5:
        return max(0.0, 1.0 - (1.0 - q) * (n + 1) / n)
    return q


def apply_conformal_offsets(
    group: np.ndarray, pred: np.ndarray, scale: np.ndarray, offsets: pd.DataFrame
) -> np.ndarray:
    """``pred`` (n, k) plus each row's group offsets times its ``scale``."""
    keys = pd.Index(np.asarray(group).astype(str))
    keys = keys.where(keys.isin(offsets.index), POOLED)
    unit = np.where(scale > 0, scale, 1.0)
    return pred + offsets.loc[keys].to_numpy() * unit[:, None]
