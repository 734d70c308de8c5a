"""``POST /v1/forecast``: daily demand quantiles from the ``demand`` champion, computed at start-up;
without a champion, the recent-demand quantiles of the canonical orders (``RECENT_MEAN_DEMAND``).

The registered demand model (``training.world_models.DemandQuantiles`` over a
``DemandForecaster``) forecasts horizons 1..H after the end of the history it was fitted on (the
recent daily demand of the canonical tables). All series are forecast in one vectorized call at
start-up, with the promotions of the canonical ``promotions`` table as the known covariates of the
forecast days; a request is then a dictionary lookup. Horizons beyond the model's H are refused
with a 422 (the model was backtested for H days only).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from contracts.keys import SKU_LOCATION, series_id, series_name
from features.promotions import promotion_covariates
from features.recent_demand import recent_quantiles
from features.timeseries import ID, TIME

QUANTILES = ["p10", "p50", "p90"]
# What ``/v1/forecast`` names as its model without a demand champion (``recent_demand_forecaster``).
RECENT_MEAN_DEMAND = "recent_mean_demand"


class HorizonTooLong(ValueError):
    """The request asks for more days than the demand model forecasts."""


@dataclass
class PrecomputedForecaster:
    """``(sku_id, location_id, horizon_days) -> frame[ds, p10, p50, p90]`` from a frame built once."""

    table: pd.DataFrame  # unique_id, ds, p10, p50, p90 (sorted by id, ds)
    horizon: int

    def __post_init__(self) -> None:
        self._rows = {k: np.asarray(v) for k, v in self.table.groupby(ID, sort=False).indices.items()}

    def __call__(self, sku_id: str, location_id: str, horizon_days: int) -> pd.DataFrame:
        if horizon_days > self.horizon:
            raise HorizonTooLong(f"the demand model forecasts at most {self.horizon} days, got {horizon_days}")
        rows = self._rows.get(series_name(sku_id, location_id))
        if rows is None:
            return pd.DataFrame(columns=[TIME, *QUANTILES])
        frame = self.table.take(rows[:horizon_days])
        return pd.DataFrame({"ds": frame[TIME].dt.date.to_numpy(), **{q: frame[q].to_numpy() for q in QUANTILES}})


def build_forecaster(model: Any, promotions: pd.DataFrame | None) -> PrecomputedForecaster:
    """Forecast every series the model knows for its full horizon, in one call."""
    forecaster = getattr(model, "forecaster", model)  # DemandQuantiles wraps a DemandForecaster
    horizon = int(forecaster.spec.horizon)
    origin = forecaster.origin_[[ID, TIME]]
    series = pd.Index(origin[ID].unique())
    last = pd.to_datetime(origin[TIME]).max()
    days = pd.date_range(last + pd.Timedelta(days=1), periods=horizon, freq="D")
    covs = list(forecaster.spec.known_covariates)
    future = None
    if covs:
        promos = promotions if promotions is not None else pd.DataFrame(
            columns=["sku_id", "location_id", "start_date", "end_date", "discount_pct"]
        )
        future = promotion_covariates(promos, series, days)
        for col in set(covs) - set(future.columns):
            future[col] = np.nan
    table = forecaster.predict(horizon, future)
    table = table.assign(**{TIME: pd.to_datetime(table[TIME])}).sort_values([ID, TIME], ignore_index=True)
    return PrecomputedForecaster(table=table, horizon=horizon)


def load_forecaster(canonical_dir: Path, model: Any) -> PrecomputedForecaster:
    """The demand champion's forecasts with the canonical promotions as known covariates."""
    path = canonical_dir / "promotions.parquet"
    promotions = pd.read_parquet(path) if path.exists() else None
    return build_forecaster(model, promotions)


def recent_demand_forecaster(
    actual: pd.DataFrame, positions: pd.DataFrame, as_of: pd.Timestamp, horizon: int
) -> PrecomputedForecaster:
    """Without a demand champion: each of the ``horizon`` days after ``as_of`` gets the recent-demand
    quantiles (``features.recent_demand.recent_quantiles``) of ``actual`` (``daily_actuals`` up to ``as_of``),
    for every SKU-location of ``positions`` or with recent orders (0 for one without). The same
    daily demand the stock-out alerts consume, and the demand gate's ``RecentMean`` baseline."""
    keys = pd.concat([positions[SKU_LOCATION], actual[SKU_LOCATION]], ignore_index=True).drop_duplicates()
    rates = keys.join(recent_quantiles(actual, SKU_LOCATION), on=SKU_LOCATION).fillna(dict.fromkeys(QUANTILES, 0.0))
    days = pd.DataFrame({TIME: pd.date_range(pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1), periods=horizon)})
    table = rates.assign(**{ID: series_id(rates)})[[ID, *QUANTILES]].merge(days, how="cross")
    return PrecomputedForecaster(table=table.sort_values([ID, TIME], ignore_index=True)[[ID, TIME, *QUANTILES]],
                                 horizon=horizon)


def load_recent_demand(canonical_dir: Path, positions: pd.DataFrame, as_of: pd.Timestamp) -> PrecomputedForecaster:
    """``recent_demand_forecaster`` over the canonical orders, for the demand recipe's horizon.
    Without canonical orders there is no recent demand to answer with (not a demand of 0):
    ``FileNotFoundError`` naming the tables."""
    from serving.live_alerts import read_recent_actuals
    from training.recipes import DEMAND

    return recent_demand_forecaster(read_recent_actuals(canonical_dir, as_of), positions, as_of, DEMAND.horizon)
