"""Forecast metrics as plain functions with one signature ``metric(y_true, y_pred, **kw) -> float``.

Point metrics take ``y_pred`` of shape (n,); ``mean_pinball_loss`` takes (n, k) predictions for
``quantiles`` of length k; ``interval_coverage`` takes (n, 2) = [lower, upper]. Missing values
are an error rather than silently dropped, so a metric never covers fewer rows than it claims.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _arrays(y_true: Sequence[float], y_pred: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    yt = np.asarray(y_true, dtype="float64")
    yp = np.asarray(y_pred, dtype="float64")
    if yt.ndim != 1 or len(yt) == 0:
        raise ValueError("y_true must be a non-empty 1-D array")
    if yp.shape[0] != yt.shape[0]:
        raise ValueError(f"y_pred has {yp.shape[0]} rows, y_true {yt.shape[0]}")
    if np.isnan(yt).any() or np.isnan(yp).any():
        raise ValueError("y_true / y_pred contain NaN")
    return yt, yp


def mae(y_true: Sequence[float], y_pred: Sequence[float]) -> float:
    """Mean absolute error, in the units of the series."""
    yt, yp = _arrays(y_true, y_pred)
    return float(np.mean(np.abs(yt - yp)))


def wape(y_true: Sequence[float], y_pred: Sequence[float]) -> float:
    """Weighted absolute percentage error: sum |e| / sum |y|; robust to zeros in single periods."""
    yt, yp = _arrays(y_true, y_pred)
    denom = np.sum(np.abs(yt))
    return float(np.sum(np.abs(yt - yp)) / denom) if denom > 0 else float("nan")


def mase(y_true: Sequence[float], y_pred: Sequence[float], *, scale: Sequence[float]) -> float:
    """Mean absolute scaled error: |e| / per-row ``scale`` (in-sample seasonal-naive MAE of the
    row's series), averaged. Rows whose scale is 0 or missing (constant history) are left out."""
    yt, yp = _arrays(y_true, y_pred)
    sc = np.asarray(scale, dtype="float64")
    if sc.shape != yt.shape:
        raise ValueError("scale must have one value per row")
    ok = np.isfinite(sc) & (sc > 0)
    return float(np.mean(np.abs(yt - yp)[ok] / sc[ok])) if ok.any() else float("nan")


def mean_pinball_loss(
    y_true: Sequence[float], y_pred: Sequence[Sequence[float]], *, quantiles: Sequence[float]
) -> float:
    """Pinball (quantile) loss averaged over rows and the ``quantiles`` (columns of ``y_pred``)."""
    yt, yp = _arrays(y_true, y_pred)
    q = np.asarray(quantiles, dtype="float64")
    if yp.ndim != 2 or yp.shape[1] != len(q):
        raise ValueError(f"y_pred must have shape (n, {len(q)}) for quantiles {list(q)}")
    diff = yt[:, None] - yp
    return float(np.mean(np.maximum(q * diff, (q - 1) * diff)))


def interval_coverage(y_true: Sequence[float], y_pred: Sequence[Sequence[float]]) -> float:
    """Share of actuals inside the closed interval [lower, upper] given as ``y_pred[:, 0:2]``."""
    yt, yp = _arrays(y_true, y_pred)
    if yp.ndim != 2 or yp.shape[1] != 2:
        raise ValueError("y_pred must have shape (n, 2) = [lower, upper]")
    return float(np.mean((yt >= yp[:, 0]) & (yt <= yp[:, 1])))
