"""The plots of an exception's page, as data the page template draws as inline SVG.

Two plots for the SKU-location an exception concerns: its demand (the units ordered per day over
the ``RECENT_DAYS`` before the serving date, then the forecast's median with its P10-P90 band
over the lead time) and its open purchase orders (each PO's promised date against its expected
arrival, with P(late)). Coordinates are computed here; ``serving.planner_pages`` renders them,
escaping every value, so the page needs no script, image file or front-end build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alerts.detection import DELAY_QUANTILES, expected_arrival, late_probability
from features.recent_demand import RECENT_DAYS
from live.state import LiveState
from serving.live_alerts import RecentDemand

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 200, 44, 24, 16, 28
ROW = 26  # height of one PO in the ETA plot
DEFAULT_HORIZON = 14  # days of forecast drawn for an exception without a lead time


@dataclass(frozen=True)
class Point:
    """A data point: its pixel position and the value it stands for."""

    x: float
    y: float
    ds: str
    value: float


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class ForecastPlot:
    actual: list[Point]
    p50: list[Point]
    band: str  # polygon points of the P10-P90 band ("" without quantiles)
    today_x: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT

    @property
    def baseline(self) -> int:
        """The y of the date axis."""
        return self.height - BOTTOM


@dataclass(frozen=True)
class EtaRow:
    po_id: str
    quantity: float
    y: float
    promised_x: float
    expected_x: float
    promised: str
    expected: str
    p_late: float | None


@dataclass(frozen=True)
class EtaPlot:
    rows: list[EtaRow]
    today_x: float
    x_ticks: list[Tick]
    height: int
    width: int = WIDTH
    left: int = LEFT
    right: int = WIDTH - RIGHT

    @property
    def baseline(self) -> int:
        """The y of the date axis."""
        return self.height - BOTTOM


class _DateAxis:
    """Days from ``first`` to ``last`` onto the plot's width."""

    def __init__(self, first: pd.Timestamp, last: pd.Timestamp) -> None:
        self.first, self.days = first, max((last - first).days, 1)

    def x(self, day: pd.Timestamp) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * (pd.Timestamp(day) - self.first).days / self.days, 1)

    def ticks(self, n: int = 5) -> list[Tick]:
        days = pd.date_range(self.first, self.first + pd.Timedelta(days=self.days), periods=n).normalize()
        return [Tick(self.x(d), f"{d:%m-%d}") for d in days]


def forecast_plot(history: pd.DataFrame, forecast: pd.DataFrame, today: pd.Timestamp) -> ForecastPlot:
    """``history``: ds, actual (units ordered per day; days missing count as 0) up to ``today``;
    ``forecast``: ds, p50 and optionally p90 (the band's top) and p10 (its bottom, else the
    median) for the days after it."""
    today = pd.Timestamp(today).normalize()
    days = pd.date_range(today - pd.Timedelta(days=RECENT_DAYS - 1), today)
    actual = history.assign(ds=pd.to_datetime(history["ds"])).groupby("ds")["actual"].sum().reindex(days,
                                                                                                   fill_value=0.0)
    forecast = forecast.assign(ds=pd.to_datetime(forecast["ds"])).sort_values("ds")
    band = "p90" in forecast
    top = float(np.nanmax([actual.max(), *(forecast[c].max() for c in ("p50", "p90") if c in forecast), 1.0]))
    axis = _DateAxis(days[0], forecast["ds"].max() if len(forecast) else today)

    def y(value: float) -> float:
        return round(HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * value / top, 1)

    def points(dates: pd.Series | pd.DatetimeIndex, values: np.ndarray) -> list[Point]:
        return [Point(axis.x(d), y(v), f"{d:%Y-%m-%d}", round(float(v), 2)) for d, v in zip(dates, values, strict=True)]

    outline = ""
    if band and len(forecast):
        upper = [f"{axis.x(d)},{y(v)}" for d, v in zip(forecast["ds"], forecast["p90"], strict=True)]
        low = forecast["p10"] if "p10" in forecast else forecast["p50"]
        lower = [f"{axis.x(d)},{y(v)}" for d, v in zip(forecast["ds"], low, strict=True)]
        outline = " ".join(upper + lower[::-1])
    return ForecastPlot(
        actual=points(actual.index, actual.to_numpy(float)),
        p50=points(forecast["ds"], forecast["p50"].to_numpy(float)),
        band=outline,
        today_x=axis.x(today),
        x_ticks=axis.ticks(),
        y_ticks=[Tick(y(v), f"{v:g}") for v in np.unique(np.round(np.linspace(0, top, 3), 1))],
    )


def eta_plot(open_pos: pd.DataFrame, today: pd.Timestamp) -> EtaPlot | None:
    """``open_pos``: the SKU-location's open PO lines (``OPEN_PO_COLUMNS``, optionally the delay
    quantiles); each is drawn from its promised date to its expected arrival (the rule of
    ``alerts.detection.expected_arrival``), labelled with P(late) when the quantiles are there.
    None without open POs."""
    if open_pos.empty:
        return None
    today = pd.Timestamp(today).normalize()
    pos = open_pos.sort_values(["promised_date", "po_id"]).reset_index(drop=True)
    promised = pd.to_datetime(pos["promised_date"])
    expected = expected_arrival(pos)
    p_late = late_probability(pos)
    first = min(today, promised.min(), expected.min())
    axis = _DateAxis(first, max(promised.max(), expected.max(), first + pd.Timedelta(days=7)))
    rows = [
        EtaRow(str(pos.at[i, "po_id"]), float(pos.at[i, "quantity"]), TOP + ROW * i + ROW / 2 + 8,
               axis.x(promised[i]), axis.x(expected[i]), f"{promised[i]:%Y-%m-%d}", f"{expected[i]:%Y-%m-%d}",
               None if np.isnan(p_late[i]) else round(float(p_late[i]), 2))
        for i in range(len(pos))
    ]
    return EtaPlot(rows, axis.x(today), axis.ticks(), TOP + ROW * len(rows) + 8 + BOTTOM)


def exception_plots(
    exception: dict[str, Any],
    live: LiveState,
    demand: RecentDemand,
    forecaster: Callable[[str, str, int], pd.DataFrame] | None,
    delays: Callable[[pd.DataFrame], np.ndarray] | None,
    today: pd.Timestamp,
) -> tuple[ForecastPlot | None, EtaPlot | None]:
    """The demand and ETA plots of an exception's SKU-location (None, None without one): history
    from ``demand``'s canonical orders, the forecast of the service's ``forecaster`` (else
    ``demand``'s recent mean) over the exception's lead time, the live open POs with the
    service's delay quantiles (``delays``)."""
    sku, location = exception.get("sku_id"), exception.get("location_id")
    if not sku or not location:
        return None, None
    today = pd.Timestamp(today).normalize()
    horizon = int(np.ceil(float(exception["details"].get("lead_time_days") or DEFAULT_HORIZON)))
    open_pos = live.open_purchase_orders([sku])
    open_pos = open_pos[open_pos["location_id"] == location].reset_index(drop=True)
    if delays is not None and len(open_pos):
        open_pos[list(DELAY_QUANTILES)] = delays(open_pos)
    forecast = forecaster(sku, location, horizon) if forecaster is not None else pd.DataFrame()
    history = demand.actuals(today)  # empty without canonical orders
    history = history[(history["sku_id"] == sku) & (history["location_id"] == location)]
    if forecast.empty:
        forecast = demand(pd.DataFrame({"sku_id": [sku], "location_id": [location]}), today, horizon)
    if forecast.empty and history.empty:
        return None, eta_plot(open_pos, today)
    return forecast_plot(history[["ds", "actual"]], forecast, today), eta_plot(open_pos, today)
