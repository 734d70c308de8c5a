"""As-of outputs of the demand and lead-time models over the world's history, for the features.

The risk models learn from forecast errors and model-based expected inbound only if those inputs
are what the models would have said at the time (``training.forecasting.asof``,
``training.lead_time.asof``). Pure: canonical tables in, two frames out, in the formats
``features`` reads:

- demand forecasts ``sku_id, location_id, ds, forecast`` (the P50), with ``origin, refit`` and the
  quantile columns: one forecast per SKU-location-day, made at the latest weekly origin before it;
- PO ETAs ``po_id, sku_id, location_id, eta_p50, eta_p90, p_late``, with the delay quantiles and
  ``refit``: predicted when the PO was placed.

Both use the recipes of the registered models (``demand_spec(DemandJob())`` on its trailing
window, ``LEAD_TIME_SPEC``), refitted on the schedule of an ``AsOfJob``. The demand replay fits the
median only by default: the bounds feed no feature, and each quantile is a booster per refit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pandas as pd

from features.timeseries import ID, TIME
from training.forecasting.asof import asof_forecasts
from training.forecasting.model import quantile_column
from training.lead_time.asof import asof_delays
from training.splits import refit_schedule
from training.world_datasets import daily_demand, promotion_days, received_po_lines, series_id
from training.world_models import LEAD_TIME_SPEC, DemandJob, demand_spec

DEMAND_TABLES = ("order_lines", "orders", "promotions", "inventory_snapshots", "skus")
LEAD_TIME_TABLES = ("purchase_orders", "skus")


@dataclass(frozen=True)
class AsOfJob:
    """How often the models are refitted and forecast in the replay, and how much history first.

    ``forecast_every_days`` is both the spacing of forecast origins and how many days ahead each
    origin's forecast is kept, so every day gets exactly one forecast (at most the demand horizon).
    ``forecast_quantiles`` must include 0.5 (the ``forecast`` column). Demand refits dominate the
    cost; refitting twice as often does not improve the forecasts on the default world
    (docs/benchmarks.md), so the default is the cheaper spacing. Lead-time refits are cheap:
    monthly keeps up with drifting suppliers.
    """

    demand: DemandJob = field(default_factory=DemandJob)
    forecast_quantiles: tuple[float, ...] = (0.5,)
    demand_refit_days: int = 182
    forecast_every_days: int = 7
    demand_min_history_days: int = 56
    lead_time_refit_days: int = 28
    lead_time_min_history_days: int = 91

    def __post_init__(self) -> None:
        if not 1 <= self.forecast_every_days <= self.demand.horizon:
            raise ValueError(
                f"forecast_every_days must be between 1 and the demand horizon {self.demand.horizon}"
            )
        if 0.5 not in self.forecast_quantiles:
            raise ValueError("forecast_quantiles must include 0.5")


def known_promotions(promotions: pd.DataFrame) -> Callable[[pd.Timestamp, pd.DataFrame], pd.DataFrame]:
    """Promotion covariates of target days as known at an origin: announced on or before it."""
    announced = pd.to_datetime(promotions["announced_date"])
    start, end = pd.to_datetime(promotions["start_date"]), pd.to_datetime(promotions["end_date"])

    def known(origin: pd.Timestamp, targets: pd.DataFrame) -> pd.DataFrame:
        last = targets[TIME].max()
        days = promotion_days(promotions[(announced <= origin) & (end > origin) & (start <= last)])
        days = days.assign(**{ID: series_id(days)})[[ID, TIME, "promo_discount"]]
        out = targets.merge(days, on=[ID, TIME], how="left")
        out["promo_active"] = out["promo_discount"].notna().astype("float64")
        out["promo_discount"] = out["promo_discount"].fillna(0.0)
        return out

    return known


def asof_demand_forecasts(tables: dict[str, pd.DataFrame], job: AsOfJob) -> pd.DataFrame:
    """Weekly-origin forecasts over the history, each from a refit on data up to its origin."""
    frame = daily_demand(
        tables["order_lines"], tables["orders"], tables["promotions"],
        tables["inventory_snapshots"], tables["skus"],
    )
    first, last = frame[TIME].min(), frame[TIME].max()
    refits = refit_schedule(first + pd.Timedelta(days=job.demand_min_history_days - 1), last, job.demand_refit_days)
    origins = [o for o in refit_schedule(refits[0], last, job.forecast_every_days) if o < last] if refits else []
    if not origins:
        raise ValueError(
            f"demand history of {(last - first).days + 1} days: need more than "
            f"{job.demand_min_history_days} days for an as-of forecast"
        )
    spec = replace(demand_spec(job.demand), quantiles=job.forecast_quantiles)
    pred = asof_forecasts(
        frame, spec, refits, origins, job.demand.history_days, job.forecast_every_days,
        known_promotions(tables["promotions"]),
    )
    keys = tables["inventory_snapshots"][["sku_id", "location_id"]].drop_duplicates()
    keys = keys.assign(**{ID: series_id(keys)})
    out = pred.merge(keys, on=ID, how="left").drop(columns=[ID])
    out["forecast"] = out["p50"]
    quantiles = [quantile_column(q) for q in job.forecast_quantiles]
    columns = ["sku_id", "location_id", TIME, "forecast", *quantiles, "origin", "refit"]
    return out[columns].sort_values(["sku_id", "location_id", TIME], ignore_index=True)


def asof_po_etas(tables: dict[str, pd.DataFrame], job: AsOfJob) -> pd.DataFrame:
    """Per PO line, the lead-time model's ETA quantiles and ``p_late`` as of its order date.

    Lines are predicted as placed: not expedited (an expedite is decided later). Lines ordered
    before the first refit (``lead_time_min_history_days`` after the first order) are absent.
    """
    spec = LEAD_TIME_SPEC
    lines = received_po_lines(tables["purchase_orders"], tables["skus"])
    ordered = pd.to_datetime(lines[spec.order_col])
    first = ordered.min() + pd.Timedelta(days=job.lead_time_min_history_days)
    refits = refit_schedule(first, ordered.max(), job.lead_time_refit_days)
    if not refits:
        raise ValueError(
            f"purchase orders span {(ordered.max() - ordered.min()).days + 1} days: need more than "
            f"{job.lead_time_min_history_days} days for an as-of ETA"
        )
    pred = asof_delays(lines, spec, refits, at_order={"is_expedited": 0.0})
    out = lines[["po_id", "sku_id", "location_id"]].merge(pred, on="po_id", how="inner")
    columns = ["po_id", "sku_id", "location_id", "eta_p10", "eta_p50", "eta_p90", "p10", "p50", "p90", "p_late"]
    return out[[*columns, "refit"]].sort_values("po_id", ignore_index=True)
