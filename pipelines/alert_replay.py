"""Replay of the stock-out rule day by day over a simulated world, point in time.

On each day the rule sees what the nightly scan would: that day's end-of-day inventory snapshot,
the purchase orders placed by then and not yet received (with the ETA of their latest ASN sent
by then), the primary supplier's quoted lead time and, as daily demand, what the scan consumes
(``alerts.demand.forecast_then_recent``): the demand forecast made at the latest as-of origin on or
before the day (``asof_demand``: the demand recipe refitted on a schedule, promotions as announced
by the origin), and past its horizon, or without forecasts, the mean units ordered over the
``RECENT_DAYS`` up to that day with its spread. Nothing dated after the day is used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alerts.demand import forecast_then_recent
from alerts.detection import stockouts_within_lead_time
from contracts.keys import SKU_LOCATION
from features.recent_demand import RECENT_DAYS, p90_of
from settings.sections import AlertsSettings
from training.recipes import AsOfJob
from training.world_asof import asof_demand_forecasts

# The cushion reads each day's spread from the P90, as it does from the demand champion's.
REPLAY_ASOF = AsOfJob(forecast_quantiles=(0.5, 0.9))


def asof_demand(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The demand recipe's as-of forecasts with their P90 (``training.world_asof``), for
    ``replay_stockout_alerts``: sku_id, location_id, ds, p50, p90, origin."""
    return asof_demand_forecasts(tables, REPLAY_ASOF).rows[[*SKU_LOCATION, "ds", "p50", "p90", "origin"]]


def daily_backorders(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per SKU-location and day: units backordered on their order day and units open at the end
    of the day (``alerts.quality.DAILY_COLUMNS``)."""
    snapshots = tables["inventory_snapshots"]
    ordered = _units_ordered(tables)
    frame = snapshots[[*SKU_LOCATION, "snapshot_date", "backordered"]].rename(
        columns={"snapshot_date": "day", "backordered": "open_backorders"}
    )
    frame = frame.merge(ordered[[*SKU_LOCATION, "day", "backordered_units"]], on=[*SKU_LOCATION, "day"], how="left")
    return frame.fillna({"backordered_units": 0.0}).astype({"open_backorders": float})


def replay_stockout_alerts(tables: dict[str, pd.DataFrame], days: pd.DatetimeIndex, cfg: AlertsSettings,
                           forecasts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The stock-out alerts the rule raises on each of ``days``: ``sku_id, location_id, day,
    horizon_days`` plus the deepest shortfall it projected (``units_short``). ``forecasts``
    (``asof_demand``) are the demand forecasts; without them the recent mean stands in every day."""
    snapshots = tables["inventory_snapshots"].assign(snapshot_date=lambda f: pd.to_datetime(f["snapshot_date"]))
    rates, spreads = _recent_daily_rate(tables)
    lead = tables["sku_suppliers"].loc[lambda f: f["is_primary"], ["sku_id", "quoted_lead_time_days"]]
    po = tables["purchase_orders"].assign(order_date=lambda f: pd.to_datetime(f["order_date"]),
                                          received_date=lambda f: pd.to_datetime(f["received_date"]))
    asn = tables["asn_events"].assign(event_day=lambda f: pd.to_datetime(f["event_time"]).dt.normalize())
    found = []
    for day in days:
        snap = snapshots[snapshots["snapshot_date"] == day]
        # The snapshot's in_transit counts open POs too: like the scan, the POs stand for it.
        positions = snap[[*SKU_LOCATION, "on_hand", "allocated"]].rename(columns={"allocated": "reserved"}).assign(
            in_transit=0.0)
        lead_times = positions[SKU_LOCATION].merge(lead, on="sku_id").rename(
            columns={"quoted_lead_time_days": "lead_time_days"})
        horizon = int(lead_times["lead_time_days"].max())
        rate = pd.DataFrame({"p50": rates.loc[day], "p90": p90_of(rates.loc[day], spreads.loc[day])}).reset_index()
        ds = pd.DataFrame({"ds": pd.date_range(day + pd.Timedelta(days=1), periods=horizon)})
        demand = forecast_then_recent(
            _forecast_made_by(forecasts, day), rate.merge(ds, how="cross"), cfg.stockout_recent_floor)
        found.append(stockouts_within_lead_time(positions, _open_pos(po, asn, day), demand, lead_times, day, cfg)
                     .assign(day=day))
    alerts = pd.concat([f for f in found if len(f)] or found[:1], ignore_index=True)
    details = pd.DataFrame(alerts["details"].tolist(), columns=["lead_time_days", "lowest_projected"],
                           dtype=float)
    return pd.DataFrame({
        "sku_id": alerts["sku_id"].astype(str), "location_id": alerts["location_id"].astype(str),
        "day": pd.to_datetime(alerts["day"]), "horizon_days": details["lead_time_days"].astype(float),
        "units_short": -details["lowest_projected"],
    })


def _forecast_made_by(forecasts: pd.DataFrame | None, day: pd.Timestamp) -> pd.DataFrame | None:
    """The days after ``day`` of the forecast made at the latest origin on or before it."""
    if forecasts is None:
        return None
    made = forecasts[forecasts["origin"] <= day]
    if made.empty:
        return None
    latest = made[made["origin"] == made["origin"].max()]
    return latest[latest["ds"] > day]


def _units_ordered(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    lines = tables["order_lines"].merge(tables["orders"][["order_id", "order_time"]], on="order_id")
    lines = lines.assign(day=pd.to_datetime(lines["order_time"]).dt.normalize())
    return lines.groupby([*SKU_LOCATION, "day"], as_index=False).agg(
        units=("quantity", "sum"), backordered_units=("backordered_quantity", "sum")).astype(
        {"units": float, "backordered_units": float})


def _recent_daily_rate(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Day x (sku_id, location_id): mean and standard deviation of the units ordered per day over
    the ``RECENT_DAYS`` to the day (as ``alerts.demand.recent_mean_demand``)."""
    snapshots = tables["inventory_snapshots"]
    days = pd.DatetimeIndex(sorted(pd.to_datetime(snapshots["snapshot_date"]).unique()))
    keys = pd.MultiIndex.from_frame(snapshots[SKU_LOCATION].drop_duplicates())
    units = _units_ordered(tables).pivot_table(index="day", columns=SKU_LOCATION, values="units", aggfunc="sum")
    units = units.reindex(index=days, columns=keys).fillna(0.0)
    mean = units.rolling(RECENT_DAYS, min_periods=1).sum() / RECENT_DAYS
    square = units.pow(2).rolling(RECENT_DAYS, min_periods=1).sum() / RECENT_DAYS
    return mean, np.sqrt(np.maximum(square - mean**2, 0.0))


def _open_pos(po: pd.DataFrame, asn: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """POs placed by ``day`` and not received by its end, with the ETA of their latest ASN sent by then."""
    placed = po[(po["order_date"] <= day) & ~(po["received_date"] <= day)]
    eta = asn[asn["event_day"] <= day].sort_values("event_time").groupby("po_id")["eta"].last()
    return placed.assign(eta=pd.to_datetime(placed["po_id"].map(eta)),
                         quantity=placed["quantity"].astype(float))[
        ["po_id", "supplier_id", *SKU_LOCATION, "quantity", "promised_date", "eta"]
    ].assign(promised_date=lambda f: pd.to_datetime(f["promised_date"])).reset_index(drop=True)


def held_out_days(tables: dict[str, pd.DataFrame], length: int) -> pd.DatetimeIndex:
    """The last ``length`` snapshot days of the world."""
    last = pd.Timestamp(pd.to_datetime(tables["inventory_snapshots"]["snapshot_date"]).max())
    return pd.date_range(last - pd.Timedelta(days=length - 1), last)

