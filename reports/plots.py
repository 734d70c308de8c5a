"""The report's plots as PNG bytes, drawn on ``matplotlib.figure.Figure`` (no pyplot, no backend
state), so building a report never touches a display or a global matplotlib setting."""

from __future__ import annotations

import io

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from contracts.keys import SERIES_SEPARATOR

BLUE, ORANGE, GREY, RED, GREEN = "#1f77b4", "#ff7f0e", "#7f7f7f", "#d62728", "#2ca02c"


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def _empty(figure: Figure, message: str) -> bytes:
    axes = figure.add_subplot()
    axes.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color=GREY)
    axes.set_axis_off()
    return png(figure)


def _dates(axes: Axes) -> None:
    locator = mdates.AutoDateLocator(maxticks=6)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def at_risk_plot(ranked: pd.DataFrame, n: int = 15) -> bytes:
    """Horizontal bars of expected cost for the top ``n`` SKU-locations with any, probability annotated."""
    top = ranked[ranked["expected_cost"] > 0].head(n).iloc[::-1]
    figure = Figure(figsize=(9, max(2.5, 0.35 * len(top) + 1)))
    if top.empty:
        return _empty(figure, "no SKU-location expects a backorder cost over the horizon")
    axes = figure.add_subplot()
    labels = top["sku_id"].astype(str) + " @ " + top["location_id"].astype(str)
    bars = axes.barh(labels, top["expected_cost"], color=RED)
    for bar, p in zip(bars, top["backorder_probability"], strict=True):
        axes.annotate(f" P={p:.0%}", (bar.get_width(), bar.get_y() + bar.get_height() / 2), va="center", fontsize=8)
    axes.set(xlabel="expected backorder cost over the horizon", title="SKU-locations at risk (top by expected cost)")
    axes.margins(x=0.15)
    return png(figure)


def recommendations_plot(recs: pd.DataFrame, n: int = 12) -> bytes:
    """Expected cost avoided against cost of the best ``n`` recommendations, by action."""
    top = recs.head(n).iloc[::-1]
    figure = Figure(figsize=(9, max(2.5, 0.4 * len(top) + 1)))
    if top.empty:
        return _empty(figure, "no transfer or expedite pays off today")
    axes = figure.add_subplot()
    labels = top["action"] + " " + top["sku_id"].astype(str) + " -> " + top["location_id"].astype(str)
    y = np.arange(len(top))
    axes.barh(y + 0.2, top["expected_cost_avoided"], height=0.4, color=GREEN, label="expected cost avoided")
    axes.barh(y - 0.2, top["cost"], height=0.4, color=GREY, label="cost of the action")
    axes.set_yticks(y, labels, fontsize=8)
    axes.set(xlabel="currency units", title="Recommended actions: expected effect against cost")
    axes.legend(loc="lower right", fontsize=8)
    return png(figure)


def supplier_plot(scorecard: pd.DataFrame, history: pd.DataFrame) -> bytes:
    """On-time rate (90 vs 365 days) per supplier, and the 90-day mean delay of the worst ones."""
    figure = Figure(figsize=(11, 4), layout="constrained")
    left, right = figure.subplots(1, 2)
    card = scorecard.dropna(subset=["on_time_rate_365"])
    x = np.arange(len(card))
    left.bar(x - 0.2, card["on_time_rate_90"].fillna(0), width=0.4, color=BLUE, label="last 90 days")
    left.bar(x + 0.2, card["on_time_rate_365"], width=0.4, color=GREY, label="last 365 days")
    left.set_xticks(x, card["supplier_id"], rotation=60, fontsize=8)
    left.set(ylim=(0, 1), ylabel="on-time rate", title="Supplier on-time rate (worst first)")
    left.legend(fontsize=8)
    if history.empty:
        right.text(0.5, 0.5, "no receipts yet", ha="center", va="center", color=GREY)
        right.set_axis_off()
    else:
        for supplier in history.columns:
            right.plot(pd.to_datetime(history.index), history[supplier], label=str(supplier))
        right.axhline(0, color=GREY, linewidth=0.8)
        right.set(ylabel="mean delay, last 90 days (days)", title="Delay trend of the least reliable suppliers")
        right.legend(fontsize=8)
        _dates(right)
    return png(figure)


def forecast_plot(forecast: pd.DataFrame, history: pd.DataFrame) -> bytes:
    """One panel per series: realized demand before and during the held-out window, the forecast's
    median and its 80% band over the window."""
    series = list(dict.fromkeys(forecast["unique_id"]))
    figure = Figure(figsize=(11, 3.2 * max(1, (len(series) + 1) // 2)), layout="constrained")
    if not series:
        return _empty(figure, "the demand champion has no held-out forecasts")
    grid = figure.subplots(max(1, (len(series) + 1) // 2), 2, squeeze=False)
    for axes, name in zip(grid.ravel(), series, strict=False):
        past = history[history["unique_id"] == name]
        window = forecast[forecast["unique_id"] == name]
        axes.plot(past["ds"], past["actual"], color=GREY, linewidth=1, label="realized demand")
        axes.fill_between(window["ds"], window["p10"], window["p90"], color=BLUE, alpha=0.25, label="forecast P10-P90")
        axes.plot(window["ds"], window["p50"], color=BLUE, linewidth=2, label="forecast median")
        axes.plot(window["ds"], window["actual"], "o", color=ORANGE, markersize=4, label="actual (held out)")
        axes.set_title(name.replace(SERIES_SEPARATOR, " @ "), fontsize=10)
        _dates(axes)
    for axes in grid.ravel()[len(series):]:
        axes.set_axis_off()
    grid[0, 0].legend(fontsize=7, loc="upper left")
    figure.suptitle("Demand forecast against actuals on a held-out window")
    return png(figure)


def what_if_plot(table: pd.DataFrame) -> bytes:
    """Backordered units, fill rate and total cost of each what-if run, side by side."""
    figure = Figure(figsize=(11, 3.5), layout="constrained")
    panels = figure.subplots(1, 3)
    colors = [GREY, BLUE, GREEN, ORANGE, RED][: len(table)]
    for axes, (col, label) in zip(
        panels, (("backordered_units", "backordered units"), ("fill_rate", "fill rate"), ("total_cost", "total cost")),
        strict=True,
    ):
        axes.bar(table["scenario"], table[col], color=colors)
        axes.set_title(label)
        axes.tick_params(axis="x", labelrotation=20, labelsize=8)
        if col == "fill_rate":
            low = float(table[col].min())
            axes.set_ylim(max(0.0, low - 0.05), 1.0)
    figure.suptitle("What-if on the simulator (same world and seed)")
    return png(figure)
