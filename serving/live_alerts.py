"""Alerts in real time inside the service: the re-check of what events touch, and the webhook
deliveries, each in a background thread of the service process.

``AlertWorkers`` holds both threads: a ``LiveWatch`` (``alerts.live_watch``) fed by
``POST /v1/events`` and by reserving scores, and a ``DeliveryWorker`` (``alerts.delivery``) that
sends the outbox with its retries and wakes as soon as a re-check queued something. They are
built with the runtime, started when the service starts serving it (``RiskService`` start-up, a
reload) and stopped when it is closed. Several workers may run them at once: each delivery is
claimed atomically before it is sent, and the store keeps one active exception per problem.

The daily demand is the ``demand`` champion's forecast when the service loaded it, and past its
horizon (or without it) the mean of the last 28 days of the canonical orders
(``alerts.demand.forecast_then_recent``, as the nightly scan); lead times
are the primary supplier's quote (``sku_suppliers``). Both are read on the first check, in the
worker thread, never on a request.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from alerts.delivery import DeliveryWorker
from alerts.demand import forecast_then_recent, recent_mean_demand
from alerts.desk import AlertDesk, RecheckResult
from alerts.live_watch import DemandSource, LiveChecks, LiveWatch
from contracts.keys import SKU_LOCATION
from features.recent_demand import RECENT_DAYS, daily_actuals
from features.supplier import primary_suppliers
from live.state import LiveState
from serving.live_supply import LiveSupply
from settings.sections import AlertsSettings

logger = logging.getLogger(__name__)
DEMAND_COLUMNS = [*SKU_LOCATION, "ds", "p50", "p90"]


def primary_lead_times(sku_suppliers: pd.DataFrame) -> pd.DataFrame:
    """sku_id, lead_time_days: the primary supplier's quoted lead time of each SKU."""
    lead = primary_suppliers(sku_suppliers)[["sku_id", "quoted_lead_time_days"]]
    return lead.rename(columns={"quoted_lead_time_days": "lead_time_days"})


@dataclass
class ForecastDemand:
    """``DemandSource`` over the service's forecaster (``Runtime.components.forecaster``), with
    ``recent`` on the days past its horizon."""

    forecaster: Callable[[str, str, int], pd.DataFrame]
    recent: DemandSource
    floor: bool = False  # alerts.stockout_recent_floor

    def __call__(self, keys: pd.DataFrame, as_of: pd.Timestamp, horizon: int) -> pd.DataFrame:
        steps = min(horizon, getattr(self.forecaster, "horizon", horizon))
        frames = [
            frame[["ds", "p50", "p90"]].assign(sku_id=sku, location_id=location)
            for sku, location in keys[SKU_LOCATION].itertuples(index=False)
            if len(frame := self.forecaster(sku, location, max(steps, 1)))
        ]
        forecast = None
        if frames:
            forecast = pd.concat(frames, ignore_index=True)[DEMAND_COLUMNS]
            forecast = forecast.assign(ds=pd.to_datetime(forecast["ds"])).astype({"p50": float, "p90": float})
        return forecast_then_recent(forecast, self.recent(keys, as_of, horizon), self.floor)


@dataclass
class RecentDemand:
    """``DemandSource`` without a forecaster: the recent mean of the canonical orders (read once
    per serving date)."""

    canonical_dir: Path
    _actuals: dict[pd.Timestamp, pd.DataFrame] = field(default_factory=dict, repr=False)

    def __call__(self, keys: pd.DataFrame, as_of: pd.Timestamp, horizon: int) -> pd.DataFrame:
        return recent_mean_demand(self.actuals(as_of), keys, as_of, horizon)

    def actuals(self, as_of: pd.Timestamp) -> pd.DataFrame:
        """``read_recent_actuals`` (read once per date); none without canonical orders."""
        if as_of not in self._actuals:
            try:
                self._actuals = {as_of: read_recent_actuals(self.canonical_dir, as_of)}
            except FileNotFoundError as missing:
                logger.warning("live exception checks: %s, so the recent demand is 0", missing)
                empty = pd.DataFrame({**{k: pd.Series(dtype=object) for k in SKU_LOCATION},
                                      "ds": pd.Series(dtype="datetime64[ns]"), "actual": pd.Series(dtype=float)})
                self._actuals = {as_of: empty}
        return self._actuals[as_of]


def read_recent_actuals(canonical_dir: Path, as_of: pd.Timestamp) -> pd.DataFrame:
    """``features.recent_demand.daily_actuals`` of the canonical orders up to ``as_of``;
    ``FileNotFoundError`` naming the tables when they are not there."""
    missing = [name for name in ("orders", "order_lines") if not (canonical_dir / f"{name}.parquet").exists()]
    if missing:
        raise FileNotFoundError(f"no canonical {' or '.join(missing)} in {canonical_dir}")
    # Only the orders of the last RECENT_DAYS (and a day either side) and their lines leave Arrow.
    window = [("order_time", ">=", as_of.normalize() - pd.Timedelta(days=RECENT_DAYS + 1)),
              ("order_time", "<", as_of.normalize() + pd.Timedelta(days=2))]
    orders = pd.read_parquet(canonical_dir / "orders.parquet", columns=["order_id", "order_time"], filters=window)
    lines = pq.read_table(canonical_dir / "order_lines.parquet", columns=["order_id", *SKU_LOCATION, "quantity"])
    recent = lines.filter(pc.is_in(lines["order_id"], value_set=pa.array(orders["order_id"], type=pa.string())))
    return daily_actuals(recent.to_pandas(), orders, as_of)


class LazyLeadTimes:
    """The primary suppliers' lead times, read from the canonical tables on first use."""

    def __init__(self, canonical_dir: Path) -> None:
        self.canonical_dir = canonical_dir

    @functools.cached_property
    def frame(self) -> pd.DataFrame:
        path = self.canonical_dir / "sku_suppliers.parquet"
        if not path.exists():
            logger.warning("live exception checks: no %s, so no SKU-location has a lead time to check", path)
            return pd.DataFrame({"sku_id": pd.Series(dtype=object), "lead_time_days": pd.Series(dtype=float)})
        return primary_lead_times(pd.read_parquet(path))


@dataclass
class AlertWorkers:
    """The service's alert threads; ``watch`` is None without a live state."""

    watch: LiveWatch | None
    delivery: DeliveryWorker

    def start(self) -> None:
        """Start both threads (again: nothing)."""
        for thread in (self.watch, self.delivery):
            if thread is not None and not thread.is_alive() and thread.ident is None:
                thread.start()

    def touch(self, sku_locations: Iterable[tuple[str, str]], po_ids: Iterable[str] = ()) -> None:
        """Queue a re-check of these keys (returns at once)."""
        if self.watch is not None:
            self.watch.touch(sku_locations, po_ids)

    def stop(self) -> None:
        for thread in (self.watch, self.delivery):
            if thread is not None and thread.is_alive():
                thread.stop()


def alert_workers(
    desk: AlertDesk,
    cfg: AlertsSettings,
    live: LiveState | None,
    supply: object,
    forecaster: Callable[[str, str, int], pd.DataFrame] | None,
    canonical_dir: Path,
    today: Callable[[], pd.Timestamp],
) -> AlertWorkers | None:
    """The alert threads of a runtime (not started); None when ``alerts.live_checks`` is off."""
    if not cfg.live_checks:
        return None
    delivery = DeliveryWorker(desk.deliverer(), cfg.delivery_poll_seconds)
    if live is None:
        return AlertWorkers(None, delivery)
    check = live_checks(desk, live, supply, forecaster, canonical_dir, today)
    return AlertWorkers(LiveWatch(check, cfg.live_debounce_seconds, delivery.wake), delivery)


def live_checks(
    desk: AlertDesk,
    live: LiveState,
    supply: object,
    forecaster: Callable[[str, str, int], pd.DataFrame] | None,
    canonical_dir: Path,
    today: Callable[[], pd.Timestamp],
) -> Callable[[set[tuple[str, str]], set[str]], RecheckResult]:
    """The re-check of touched SKU-locations and PO lines against ``live`` (``LiveChecks``), with
    the demand, lead times and PO delay quantiles of the module doc; the service's watch thread
    and ``backorder events consume`` both run it."""
    recent = RecentDemand(canonical_dir)
    floor = desk.cfg.stockout_recent_floor
    demand: DemandSource = ForecastDemand(forecaster, recent, floor) if forecaster is not None else recent
    lead_times = LazyLeadTimes(canonical_dir)
    delays = supply.delays if isinstance(supply, LiveSupply) else None

    def check(sku_locations: set[tuple[str, str]], po_ids: set[str]) -> RecheckResult:
        return LiveChecks(live, desk, demand, lead_times.frame, today, delays)(sku_locations, po_ids)

    return check
