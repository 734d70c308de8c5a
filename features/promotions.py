"""Promotions as the demand model's known covariates: ``promo_active`` and ``promo_discount``.

A series-day is under promotion when a promotion of its SKU-location runs that day (start and end
days included); its discount is the deepest of those promotions, 0 on days without one. Training,
the as-of replay, serving and the report all take the covariates from here, so the model sees the
same values when it is fitted and when it forecasts. What was known at a date is the promotions
announced by then (``announced_by``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from contracts.keys import SKU_LOCATION, series_id
from features.timeseries import ID, TIME

PROMOTION_COVARIATES = ("promo_active", "promo_discount")


def announced_by(promotions: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The promotions announced on or before ``day``: what a forecast made that day may know."""
    return promotions[pd.to_datetime(promotions["announced_date"]) <= day]


def with_promotions(targets: pd.DataFrame, promotions: pd.DataFrame, known_at: str | None = None) -> pd.DataFrame:
    """``targets`` (rows with ``unique_id, ds``) with ``promo_discount`` and ``promo_active``.

    With ``known_at``, a date column of ``targets``, a row sees only the promotions announced on or
    before its date there (as ``announced_by`` that day would keep them): the covariates of many
    forecast origins at once.
    """
    return with_promotion_days(targets, promotion_days(promotions), known_at)


def with_promotion_days(targets: pd.DataFrame, days: pd.DataFrame, known_at: str | None = None) -> pd.DataFrame:
    """``with_promotions`` from the ``promotion_days`` of the promotions: for callers that add the
    covariates to many frames, which then expand the promotions once."""
    if known_at is None:
        out = targets.merge(days.groupby([ID, TIME], as_index=False)["promo_discount"].max(), on=[ID, TIME], how="left")
    else:
        keys = [ID, TIME, known_at]
        hits = targets[keys].drop_duplicates().merge(days, on=[ID, TIME])
        hits = hits[hits["announced_date"] <= hits[known_at]]
        out = targets.merge(hits.groupby(keys, as_index=False)["promo_discount"].max(), on=keys, how="left")
    out["promo_active"] = out["promo_discount"].notna().astype("float64")
    out["promo_discount"] = out["promo_discount"].fillna(0.0)
    return out


def promotion_covariates(promotions: pd.DataFrame, series: Iterable[str], days: pd.DatetimeIndex) -> pd.DataFrame:
    """``unique_id, ds, promo_active, promo_discount`` for every series and day of ``days``."""
    ids = np.asarray(list(series), dtype=object)
    grid = pd.DataFrame({ID: np.repeat(ids, len(days)), TIME: np.tile(days.to_numpy(), len(ids))})
    return with_promotions(grid, promotions)[[ID, TIME, *PROMOTION_COVARIATES]]


def promotion_days(promotions: pd.DataFrame) -> pd.DataFrame:
    """One row per promotion and day it runs: ``unique_id, ds, promo_discount, announced_date``."""
    columns = {ID: object, TIME: "datetime64[ns]", "promo_discount": "float64", "announced_date": "datetime64[ns]"}
    if promotions.empty:
        return pd.DataFrame(columns=list(columns)).astype(columns)
    start = pd.to_datetime(promotions["start_date"])
    days = ((pd.to_datetime(promotions["end_date"]) - start).dt.days + 1).clip(lower=0).to_numpy()
    offsets = np.arange(days.sum()) - np.repeat(np.cumsum(days) - days, days)
    return pd.DataFrame(
        {
            ID: np.repeat(series_id(promotions[SKU_LOCATION]).to_numpy(), days),
            TIME: np.repeat(start.to_numpy(), days) + pd.to_timedelta(offsets, "D"),
            "promo_discount": np.repeat(promotions["discount_pct"].to_numpy(dtype="float64"), days),
            "announced_date": np.repeat(pd.to_datetime(promotions["announced_date"]).to_numpy(), days),
        }
    )
