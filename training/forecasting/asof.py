"""Point-in-time ("as-of") forecasts over a history: what the forecaster would have said back then.

A forecast used as a feature of day d must come from a model fitted on data before its origin and
fed with inputs known at the origin; in-sample fits leak (training errors come out smaller than
serving errors). This replays the affordable production routine: refit on a schedule (each time
on the trailing ``history_days`` window ending at the refit date), and in between forecast at
regular origins with the latest refit re-anchored at the origin (``DemandForecaster.anchor``:
lags and windows from the demand seen up to the origin, no refit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from features.timeseries import ID, TIME
from training.forecasting.model import DemandForecaster, DemandSpec
from training.splits import latest_refit

DAY = pd.Timedelta(days=1)


def asof_forecasts(
    frame: pd.DataFrame,
    spec: DemandSpec,
    refits: Sequence[pd.Timestamp],
    origins: Sequence[pd.Timestamp],
    history_days: int,
    steps: int,
    future_covariates: Callable[[pd.Timestamp, pd.DataFrame], pd.DataFrame] | None = None,
    models: dict[pd.Timestamp, DemandForecaster] | None = None,
) -> pd.DataFrame:
    """Quantile forecasts of days ``origin + 1 .. origin + steps`` made at each origin.

    ``frame`` is the long demand frame (``unique_id, ds, y`` and the model's covariates) over the
    whole history. At origin ``o`` the model (``spec``) is the one refitted at the latest refit
    date ``r <= o`` on rows ``r - history_days < ds <= r``, anchored on rows
    ``o - history_days < ds <= o`` of the series observed on ``o``. ``future_covariates(o, targets)``
    gives the known covariates of the ``unique_id, ds`` rows in ``targets`` as known at ``o``
    (default: none). ``models`` holds fitted models by refit date: those present are used as they
    are, the refits fitted here are added, so a later run over newer origins fits no refit twice.
    Origins before the first refit are skipped; no origin, no row. Returns ``unique_id, ds,
    origin, refit`` and the quantile columns.
    """
    if not 1 <= steps <= spec.horizon:
        raise ValueError("steps must be between 1 and the model's horizon")
    refits = sorted(pd.Timestamp(r) for r in refits)
    origins = sorted(pd.Timestamp(o) for o in origins)
    window = pd.Timedelta(days=history_days)
    models = {} if models is None else models
    pieces = []
    for origin, k in zip(origins, latest_refit(np.array(origins, dtype="datetime64[ns]"), refits), strict=True):
        if k < 0:
            continue
        fitted_at = refits[k]
        if fitted_at not in models:  # each refit is fitted once, when first needed
            models[fitted_at] = DemandForecaster(spec).fit(
                frame[(frame[TIME] > fitted_at - window) & (frame[TIME] <= fitted_at)]
            )
        recent = frame[(frame[TIME] > origin - window) & (frame[TIME] <= origin)]
        alive = recent.loc[recent[TIME] == origin, ID]
        if alive.empty:
            continue
        recent = recent[recent[ID].isin(alive)]
        targets = pd.DataFrame(
            {
                ID: np.repeat(alive.to_numpy(), steps),
                TIME: np.tile(pd.date_range(origin + DAY, periods=steps, freq="D").to_numpy(), len(alive)),
            }
        )
        known = future_covariates(origin, targets) if future_covariates is not None else None
        pred = models[fitted_at].anchor(recent).predict(steps, known)
        pieces.append(pred.assign(origin=origin, refit=fitted_at))
    if origins and not pieces:
        raise ValueError("no forecast origin on or after the first refit date")
    return pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame()
