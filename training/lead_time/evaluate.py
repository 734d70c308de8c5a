"""Scores of delay forecasts with the shared metric functions, and the time-based split."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training import forecast_metrics as fm
from training.lead_time.features import LeadTimeSpec, as_datetime
from training.risk.metrics import roc_auc

QUANTILES = (0.1, 0.5, 0.9)


def open_at_cutoff_split(
    lines: pd.DataFrame, spec: LeadTimeSpec, cutoff: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train = lines received on or before ``cutoff``; test = lines still open then (received
    later, scheduled any time), i.e. what an ETA service is asked about on the cut-off day."""
    received = as_datetime(lines[spec.received_col])
    done = received <= cutoff
    return lines[done], lines[~done & received.notna()]


def scheduled_after_split(
    lines: pd.DataFrame, spec: LeadTimeSpec, cutoff: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train = lines received on or before ``cutoff``; test = lines scheduled after it and not
    yet received then, i.e. the shipments still to come as seen on the cut-off day."""
    received = as_datetime(lines[spec.received_col])
    done = received <= cutoff
    later = as_datetime(lines[spec.due_col]) > cutoff
    return lines[done], lines[~done & later & received.notna()]


def score_delays(delay: np.ndarray, pred: pd.DataFrame) -> dict[str, float]:
    """Mean pinball over P10/P50/P90, P50 MAE, 80% interval coverage, late ROC-AUC and Brier."""
    late = (delay > 0).astype("float64")
    quant = pred[["p10", "p50", "p90"]].to_numpy(dtype="float64")
    p_late = pred["p_late"].to_numpy(dtype="float64")
    return {
        "n": float(len(delay)),
        "pinball": fm.mean_pinball_loss(delay, quant, quantiles=QUANTILES),
        "mae_p50": fm.mae(delay, quant[:, 1]),
        "coverage_80": fm.interval_coverage(delay, quant[:, [0, 2]]),
        "late_share": float(late.mean()),
        "late_auc": roc_auc(late, p_late),
        "late_brier": float(np.mean((p_late - late) ** 2)),
    }
