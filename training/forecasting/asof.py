"""Point-in-time ("as-of") forecasts over a history: what the forecaster would have said back then.

A forecast used as a feature of day d must come from a model fitted on data before its origin and
fed with inputs known at the origin; in-sample fits leak (training errors come out smaller than
serving errors). This replays the affordable production routine: refit on a schedule (each time
on the trailing ``history_days`` window ending at the refit date), and in between forecast at
regular origins with the latest refit re-anchored at the origin (lags and windows from the
demand seen in the ``history_days`` up to the origin, no refit).

The refits are global models: each is fitted once, on every series of its window (or on a fixed
sample of at most ``max_series`` of them, ``capped_series``), in this process or whole on one
worker of a ``dask.distributed`` client (several refits at once). Once they are fitted, a series'
forecasts depend only on its own rows, so the origins are replayed per block of whole series,
every origin of a block at once (``forecast_series``), here or on the workers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from features.timeseries import ID, TARGET, TIME, origin_features, rolling_demand_class
from training.forecasting.model import SEGMENT, DemandForecaster, DemandSpec
from training.forecasting.sampling import capped_series
from training.splits import latest_refit

if TYPE_CHECKING:
    from distributed import Client

# Series replayed together in this process: bounds the memory of the per-row origin features.
SERIES_PER_BLOCK = 2000

# (rows ``unique_id, ds, origin``) -> those rows with the known covariates of day ``ds`` as known at ``origin``
KnownCovariates = Callable[[pd.DataFrame], pd.DataFrame]


def asof_forecasts(
    frame: pd.DataFrame,
    spec: DemandSpec,
    refits: Sequence[pd.Timestamp],
    origins: Sequence[pd.Timestamp],
    history_days: int,
    steps: int,
    future_covariates: KnownCovariates | None = None,
    models: dict[pd.Timestamp, DemandForecaster] | None = None,
    client: Client | None = None,
    partitions: int = 1,
    max_series: int | None = None,
) -> pd.DataFrame:
    """Quantile forecasts of days ``origin + 1 .. origin + steps`` made at each origin.

    ``frame`` is the long demand frame (``unique_id, ds, y`` and the model's covariates) over the
    whole history. At origin ``o`` the model (``spec``) is the one refitted at the latest refit
    date ``r <= o`` on rows ``r - history_days < ds <= r``, anchored on rows
    ``o - history_days < ds <= o`` of the series observed on ``o``. ``future_covariates(targets)``
    gives the known covariates of the ``unique_id, ds, origin`` rows of ``targets``, each as known
    at its origin (default: none). Each refit trains on at most ``max_series`` series of its window
    (``capped_series``; default: all); the forecasts cover every series. ``models`` holds fitted
    models by refit date: those present are used as they are, the refits fitted here are added,
    so a later run over newer origins fits no refit twice.
    With a ``client``, each refit is fitted whole on one of its workers and the forecasts run on
    them in ``partitions`` blocks of whole series; without one, everything runs here, the forecasts
    in blocks of ``SERIES_PER_BLOCK`` series. The result is the same.
    Origins before the first refit are skipped; no origin, no row. Returns ``unique_id, ds``, the
    quantile columns, ``origin, refit``, by origin, series and day.
    """
    if not 1 <= steps <= spec.horizon:
        raise ValueError("steps must be between 1 and the model's horizon")
    refits = sorted(pd.Timestamp(r) for r in refits)
    origins = sorted(pd.Timestamp(o) for o in origins)
    window = pd.Timedelta(days=history_days)
    models = {} if models is None else models
    which = latest_refit(np.array(origins, dtype="datetime64[ns]"), refits)
    plan = {origin: refits[k] for origin, k in zip(origins, which, strict=True) if k >= 0}
    due = [fitted_at for fitted_at in sorted(set(plan.values())) if fitted_at not in models]  # each fitted once
    if plan:  # the rows the windows of the origins and of the refits due read
        first_read = min([*plan, *due]) - window
        frame = frame[frame[TIME] > first_read].sort_values([ID, TIME], ignore_index=True)

    def trailing(fitted_at: pd.Timestamp) -> pd.DataFrame:
        return capped_series(frame[(frame[TIME] > fitted_at - window) & (frame[TIME] <= fitted_at)], max_series)

    args = {"spec": spec, "plan": plan, "history_days": history_days, "steps": steps,
            "future_covariates": future_covariates}
    if not plan:
        pieces = []
    elif client is None:
        models.update({fitted_at: DemandForecaster(spec).fit(trailing(fitted_at)) for fitted_at in due})
        used = {fitted_at: models[fitted_at] for fitted_at in set(plan.values())}
        blocks = series_blocks(frame, -(-frame[ID].nunique() // SERIES_PER_BLOCK))
        pieces = [forecast_series(block, used, **args) for block in blocks]
    else:
        fitted = {
            fitted_at: client.submit(DemandForecaster(spec).fit, client.scatter(trailing(fitted_at)), pure=False)
            for fitted_at in due
        }
        shared = {
            fitted_at: fitted[fitted_at] if fitted_at in fitted else client.scatter(models[fitted_at], broadcast=True)
            for fitted_at in set(plan.values())
        }
        if future_covariates is not None:  # sent once per worker: a task carries only its key
            args["future_covariates"] = client.scatter(future_covariates, broadcast=True)
        pieces = client.gather(
            client.map(forecast_series, client.scatter(series_blocks(frame, partitions)), models=shared, **args)
        )
        models.update(client.gather(fitted))
    pieces = [p for p in pieces if len(p)]
    if origins and not pieces:
        raise ValueError("no forecast origin on or after the first refit date")
    if not pieces:
        return pd.DataFrame()
    return pd.concat(pieces, ignore_index=True).sort_values(["origin", ID, TIME], ignore_index=True)


def series_blocks(frame: pd.DataFrame, n: int) -> list[pd.DataFrame]:
    """``frame`` (sorted by ``unique_id``) cut into at most ``n`` blocks of whole series."""
    ids = frame[ID].to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    cuts = [starts[part[0]] for part in np.array_split(np.arange(len(starts)), max(n, 1)) if len(part)]
    bounds = [*cuts, len(frame)]
    return [frame.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def forecast_series(
    frame: pd.DataFrame,
    models: dict[pd.Timestamp, DemandForecaster],
    spec: DemandSpec,
    plan: dict[pd.Timestamp, pd.Timestamp],
    history_days: int,
    steps: int,
    future_covariates: KnownCovariates | None = None,
) -> pd.DataFrame:
    """``asof_forecasts`` of the whole series in ``frame`` (sorted by ``unique_id, ds``) at every
    origin of ``plan`` (origin -> its refit date, a key of ``models``) where a series has a row.

    Every origin's features come from one pass over the rows (``origin_features`` cut to the
    ``history_days`` window), as does its demand class; the static labels are the series' at the
    origin.
    """
    at = frame[TIME].isin(list(plan)).to_numpy()
    statics = list(spec.static_categoricals)
    rows = origin_features(frame, spec.features, window=history_days)[at].copy()  # its own frame, not a view
    rows[statics] = frame.loc[at, statics]
    rows[SEGMENT] = rolling_demand_class(frame, history_days)[at]
    keep = max([*spec.features.seasonal_lags, 1])  # days before an origin its seasonal lags read
    marks = np.array(sorted(plan), dtype="datetime64[ns]")
    days = frame[TIME].to_numpy()
    nearest = marks[np.minimum(np.searchsorted(marks, days), len(marks) - 1)]
    history = frame.loc[(nearest >= days) & (nearest - days < np.timedelta64(keep, "D")), [ID, TIME, TARGET]]
    refit = rows[TIME].map(plan)
    pieces = []
    for fitted_at in sorted(refit.unique()):
        origins = rows[(refit == fitted_at).to_numpy()]
        future = known_covariates(origins, spec, steps, future_covariates)
        pred = models[fitted_at].predict_from(origins, history, steps, future)
        pieces.append(pred.rename(columns={TIME: "origin", "target_ds": TIME}).assign(refit=fitted_at))
    if not pieces:
        return pd.DataFrame()
    out = pd.concat(pieces, ignore_index=True)
    return out[[ID, TIME, *[c for c in out.columns if c not in (ID, TIME, "origin", "refit")], "origin", "refit"]]


def known_covariates(
    origins: pd.DataFrame, spec: DemandSpec, steps: int, future_covariates: KnownCovariates | None
) -> pd.DataFrame:
    """``unique_id, ds`` (the origin), ``target_ds`` and the known covariates of the ``steps`` days
    after each origin row, as known at its origin (missing without ``future_covariates``)."""
    ids, starts = origins[ID].to_numpy(), origins[TIME].to_numpy()
    targets = pd.DataFrame(
        {
            ID: np.repeat(ids, steps),
            "origin": np.repeat(starts, steps),
            TIME: np.repeat(starts, steps) + np.tile(np.arange(1, steps + 1) * np.timedelta64(1, "D"), len(ids)),
        }
    )
    if future_covariates is None:
        known = targets.assign(**{col: np.nan for col in spec.known_covariates})
    else:
        known = future_covariates(targets)
    return known.rename(columns={TIME: "target_ds"}).rename(columns={"origin": TIME})
