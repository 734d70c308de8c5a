"""The report's tables as pure, vectorized steps: frames in, frames out, nothing read or written.

At risk: a SKU-location's expected cost over the horizon is the risk model's probability that it
goes on backorder, times the units it would be short if it does, times the backorder penalty per
unit. The units short come from the demand quantiles over the horizon against free stock plus the
inbound expected by then: ``E[(D - A)+] / P(D > A)``, the mean shortfall given that there is one
(at least one unit: a backorder the risk model sees coming is never zero units). Recommendations
call ``decisions`` (reallocation LP, expedites) on the same positions, so the report recommends
exactly what the decision layer would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from contracts.keys import DAY, SKU_LOCATION, series_id
from decisions import choose_expedites, combine_recommendations, plan_transfers, quantiles
from decisions.quantiles import Z90
from decisions.recommendation import RECOMMENDATION_COLUMNS
from features.demand import order_demand
from training.risk.explanations import top_reasons

MIN_SURVIVAL = 1e-6

AT_RISK_COLUMNS = [
    "rank", "sku_id", "location_id", "supplier_id", "backorder_probability", "demand_p50", "demand_p90",
    "free_stock", "inbound_by_need_date", "shortfall_if_short", "expected_backorder_units",
    "penalty_per_unit", "expected_cost", "reasons",
]
SUPPLIER_COLUMNS = [
    "supplier_id", "name", "receipts_365", "on_time_rate_90", "on_time_rate_365", "delay_mean_90",
    "delay_mean_365", "delay_trend", "trend", "fill_rate_90", "fill_rate_365", "open_po_count",
]
WHAT_IF_COLUMNS = [
    "scenario", "lead_time_scale", "safety_stock_factor", "days", "backordered_units", "substituted_units", "fill_rate",
    "total_cost", "backordered_units_change", "total_cost_change",
]
RECOMMENDATION_EXPORT_COLUMNS = list(RECOMMENDATION_COLUMNS)

# Readable names for the features a planner sees most in reasons; others are derived from the name.
FEATURE_LABELS: dict[str, str] = {
    "projected_position_lt": "projected stock at the end of the lead time",
    "available": "free stock",
    "on_hand": "stock on hand",
    "allocated": "stock allocated",
    "backordered": "units already backordered",
    "days_of_cover": "days of cover",
    "inventory_position": "inventory position",
    "inbound_due_lt_qty": "inbound due within the lead time",
    "inbound_eta_p50_lt_qty": "inbound within the lead time by the lead-time model (P50)",
    "inbound_eta_p90_lt_qty": "inbound within the lead time by the lead-time model (P90)",
    "projected_position_lt_eta_p90": "projected stock at the end of the lead time (model P90 arrivals)",
    "open_po_expected_late_qty": "open PO units expected to arrive late",
    "forecast_bias_28": "demand above forecast, mean of last 28 days",
    "forecast_wape_28": "forecast error (WAPE), last 28 days",
    "open_po_qty": "units on open POs",
    "lead_time_days": "lead time (days)",
    "demand_mean_7": "mean daily demand, last 7 days",
    "demand_mean_28": "mean daily demand, last 28 days",
    "demand_trend_28": "demand trend over 28 days",
    "promo_next_h": "promotion coming",
    "supplier_delay_mean_90": "supplier mean delay, last 90 days (days)",
    "supplier_on_time_rate_90": "supplier on-time rate, last 90 days",
    "supplier_delay_trend": "supplier delay trend (90 d minus 365 d, days)",
    "lane_lead_time_excess_365": "realized minus quoted lead time (days)",
}


def latest_rows(frame: pd.DataFrame, time_column: str, keys: Sequence[str]) -> pd.DataFrame:
    """The last row per key by ``time_column`` (what is known as of the report date)."""
    ordered = frame.sort_values(time_column, kind="mergesort")
    return ordered.drop_duplicates(list(keys), keep="last").sort_values(list(keys), ignore_index=True)


def horizon_demand(daily: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """p10/p50/p90 of demand over ``horizon`` days from one day's ``mean`` and ``sd`` (the recent
    demand, ``features.recent_demand.recent_mean_sd``; normal, days independent), row-aligned
    with ``daily`` (0 where it has none)."""
    mean = daily["mean"].fillna(0.0).to_numpy(float)
    sd = daily["sd"].fillna(0.0).to_numpy(float)
    centre, spread = mean * horizon, Z90 * sd * np.sqrt(horizon)
    return pd.DataFrame(
        {"demand_p10": np.maximum(centre - spread, 0.0), "demand_p50": centre, "demand_p90": centre + spread},
        index=daily.index,
    )


def horizon_demand_from_daily(daily: pd.DataFrame, keys: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """p10/p50/p90 of demand over ``horizon`` days from daily forecast quantiles (``unique_id, ds,
    p10, p50, p90``), row-aligned with ``keys`` (sku_id, location_id; NaN for unknown series).

    Days are taken as independent normals (s.d. from the P10-P90 width); a horizon longer than
    the forecast scales the forecast days' sums up to it.
    """
    sd = (daily["p90"].to_numpy(float) - daily["p10"].to_numpy(float)) / (2 * Z90)
    g = daily.assign(var=sd**2).groupby("unique_id")
    total = pd.DataFrame({"days": g.size(), "p50": g["p50"].sum(), "var": g["var"].sum()})
    scale = horizon / total["days"]
    centre, spread = total["p50"] * scale, Z90 * np.sqrt(total["var"] * scale)
    ids = series_id(keys)
    out = pd.DataFrame(
        {"demand_p10": np.maximum(centre - spread, 0.0), "demand_p50": centre, "demand_p90": centre + spread}
    )
    return out.reindex(ids.to_numpy()).set_axis(keys.index)


def open_purchase_orders(purchase_orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """PO lines placed on or before ``as_of`` and not received by then, with positive quantity."""
    po = purchase_orders.copy()
    for col in ("order_date", "promised_date", "received_date"):
        po[col] = pd.to_datetime(po[col])
    still_open = (po["order_date"] <= as_of) & ~(po["received_date"] <= as_of)
    po = po[still_open & (po["quantity"] > 0)]
    return po.astype({"quantity": "float64"}).reset_index(drop=True)


def with_sorted_delays(open_pos: pd.DataFrame, delays: pd.DataFrame) -> pd.DataFrame:
    """Attach row-aligned p10/p50/p90 delays (e.g. the lead-time champion's), sorted per row."""
    q = np.sort(delays[["p10", "p50", "p90"]].to_numpy(dtype="float64"), axis=1)
    return open_pos.assign(delay_p10=q[:, 0], delay_p50=q[:, 1], delay_p90=q[:, 2])


def expected_inbound(open_pos: pd.DataFrame, need_date: pd.Timestamp) -> pd.DataFrame:
    """Expected units per SKU-location arriving by ``need_date``: quantity x P(delay <= slack)."""
    if open_pos.empty:
        return pd.DataFrame({"sku_id": [], "location_id": [], "inbound_by_need_date": np.zeros(0)})
    slack = ((need_date - open_pos["promised_date"]) / DAY).to_numpy(float)
    p = quantiles.cdf(slack, *(open_pos[c].to_numpy(float) for c in ("delay_p10", "delay_p50", "delay_p90")))
    units = open_pos[SKU_LOCATION].assign(inbound_by_need_date=open_pos["quantity"].to_numpy(float) * p)
    return units.groupby(SKU_LOCATION, as_index=False)["inbound_by_need_date"].sum()


def score_positions(
    latest: pd.DataFrame,
    probability: np.ndarray,
    demand: pd.DataFrame,
    inbound: pd.DataFrame,
    penalty_per_unit: np.ndarray,
) -> pd.DataFrame:
    """One row per SKU-location with its probability, units short if short, and expected cost."""
    out = latest[[c for c in [*SKU_LOCATION, "supplier_id", "on_hand", "allocated"] if c in latest.columns]].copy()
    out = pd.concat([out, demand.set_axis(out.index)], axis=1)
    out["backorder_probability"] = np.clip(np.asarray(probability, dtype=float), 0.0, 1.0)
    units = inbound[[*SKU_LOCATION, "inbound_by_need_date"]].astype({"inbound_by_need_date": "float64"})
    out = out.merge(units, on=SKU_LOCATION, how="left")
    out["inbound_by_need_date"] = out["inbound_by_need_date"].fillna(0.0)
    free = np.maximum(out["on_hand"].fillna(0).to_numpy(float) - out["allocated"].fillna(0).to_numpy(float), 0.0)
    out["free_stock"] = free
    stock = free + out["inbound_by_need_date"].to_numpy(float)
    q = [out[c].to_numpy(float) for c in ("demand_p10", "demand_p50", "demand_p90")]
    short = quantiles.expected_shortfall(stock, *q)
    survival = quantiles.survival(stock, *q)
    conditional = np.where(survival > MIN_SURVIVAL, short / np.maximum(survival, MIN_SURVIVAL), 0.0)
    out["shortfall_if_short"] = np.maximum(conditional, 1.0)
    out["expected_backorder_units"] = out["backorder_probability"] * out["shortfall_if_short"]
    out["penalty_per_unit"] = np.asarray(penalty_per_unit, dtype=float)
    out["expected_cost"] = out["expected_backorder_units"] * out["penalty_per_unit"]
    return out


def rank_at_risk(scored: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """SKU-locations by expected cost, highest first (ties: higher probability first); ``rank`` 1..n."""
    ranked = scored.sort_values(
        ["expected_cost", "backorder_probability", *SKU_LOCATION],
        ascending=[False, False, True, True],
        kind="mergesort",
    ).reset_index(drop=True)
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    return ranked.head(top) if top is not None else ranked


def reason_templates(feature_names: Sequence[str]) -> dict[str, str]:
    """A reason template for every feature: a readable label and the row's value."""
    return {
        name: FEATURE_LABELS.get(name, name.replace("_", " ")) + " = {value:,.4g}" for name in feature_names
    }


def reason_text(contributions: np.ndarray | None, features: pd.DataFrame, feature_names: Sequence[str],
                k: int = 3) -> pd.Series:
    """The top ``k`` reasons pushing each row towards backorder, joined with "; " (empty without
    contributions)."""
    if contributions is None or len(features) == 0:
        return pd.Series("", index=features.index, dtype=object)
    top = top_reasons(contributions, features, feature_names, reason_templates(feature_names), k=k)
    columns = [c for c in top.columns if c.startswith("reason_")]
    text = top[columns[0]].astype(str)
    for col in columns[1:]:
        part = top[col].astype(str)
        text = text.where(part == "", text + np.where(text == "", "", "; ") + part)
    return text


def at_risk_table(ranked: pd.DataFrame) -> pd.DataFrame:
    """The at-risk export: the ranked rows in the documented column order."""
    out = ranked.copy()
    for col in AT_RISK_COLUMNS:
        if col not in out.columns:
            out[col] = "" if col in ("reasons", "supplier_id") else np.nan
    return out[AT_RISK_COLUMNS]


def positions_frame(scored: pd.DataFrame, need_date: pd.Timestamp) -> pd.DataFrame:
    """The ``decisions.position`` frame of every SKU-location (inbound by the need date included).

    The risk model's probability is passed capped at the demand forecast's own ``P(D > stock)``:
    ``decisions.position`` scales expected backorders by their ratio and applies that scale to
    other stock levels too, so a ratio above 1 (the model far more worried than the forecast)
    would value a PO of 100 units at thousands of units saved. Capped, no action saves more
    units than it moves; the at-risk ranking keeps the uncapped probability.
    """
    q = [scored[c].to_numpy(float) for c in ("demand_p10", "demand_p50", "demand_p90")]
    stock = scored["free_stock"].to_numpy(float) + scored["inbound_by_need_date"].to_numpy(float)
    probability = np.minimum(scored["backorder_probability"].to_numpy(float), quantiles.survival(stock, *q))
    return pd.DataFrame(
        {
            "sku_id": scored["sku_id"].to_numpy(),
            "location_id": scored["location_id"].to_numpy(),
            "on_hand": scored["on_hand"].fillna(0).to_numpy(float),
            "allocated": np.minimum(scored["allocated"].fillna(0), scored["on_hand"].fillna(0)).to_numpy(float),
            "demand_p10": scored["demand_p10"].to_numpy(float),
            "demand_p50": scored["demand_p50"].to_numpy(float),
            "demand_p90": scored["demand_p90"].to_numpy(float),
            "need_date": np.full(len(scored), pd.Timestamp(need_date).to_datetime64()).astype("datetime64[ns]"),
            "backorder_penalty": scored["penalty_per_unit"].to_numpy(float),
            "backorder_probability": probability,
            "inbound_quantity": scored["inbound_by_need_date"].to_numpy(float),
        }
    )


def recommendations(
    positions: pd.DataFrame,
    lanes: pd.DataFrame,
    open_pos: pd.DataFrame,
    expedite_terms: pd.DataFrame,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Transfers (reallocation LP) and expedites, one ranked list by net benefit.

    Expedites are judged against positions without the open POs' expected units (the expedite
    step counts those POs itself).
    """
    transfers = plan_transfers(positions, lanes[["from_location_id", "to_location_id", "transit_days",
                                                 "cost_per_unit"]], as_of)
    frames = [transfers]
    if len(open_pos):
        inbound = open_pos.drop_duplicates("po_id")
        terms = expedite_terms.drop_duplicates(["sku_id", "supplier_id"])
        frames.append(choose_expedites(positions.assign(inbound_quantity=0.0), inbound, terms))
    return combine_recommendations(*frames)[RECOMMENDATION_EXPORT_COLUMNS]


def supplier_scorecard(supplier_latest: pd.DataFrame, suppliers: pd.DataFrame,
                       trend_days: float = 0.5) -> pd.DataFrame:
    """On-time rate, mean delay 90 vs 365 days, trend and fill rate per supplier, worst first.

    ``trend`` reads ``delay_trend`` (90-day minus 365-day mean delay): "worsening" above
    ``trend_days``, "improving" below minus that, else "stable" ("no recent receipts" when unknown).
    """
    s = supplier_latest
    out = pd.DataFrame(
        {
            "supplier_id": s["supplier_id"].to_numpy(),
            "receipts_365": s["supplier_receipts_365"].to_numpy(float),
            "on_time_rate_90": s["supplier_on_time_rate_90"].to_numpy(float),
            "on_time_rate_365": s["supplier_on_time_rate_365"].to_numpy(float),
            "delay_mean_90": s["supplier_delay_mean_90"].to_numpy(float),
            "delay_mean_365": s["supplier_delay_mean_365"].to_numpy(float),
            "delay_trend": s["supplier_delay_trend"].to_numpy(float),
            "fill_rate_90": s["supplier_fill_rate_90"].to_numpy(float),
            "fill_rate_365": s["supplier_fill_rate_365"].to_numpy(float),
            "open_po_count": s["supplier_open_po_count"].to_numpy(float),
        }
    )
    trend = out["delay_trend"].to_numpy(float)
    out["trend"] = np.select(
        [np.isnan(trend), trend > trend_days, trend < -trend_days],
        ["no recent receipts", "worsening", "improving"],
        "stable",
    )
    names = suppliers.set_index("supplier_id")["name"] if "name" in suppliers.columns else pd.Series(dtype=object)
    out["name"] = names.reindex(out["supplier_id"]).fillna("").to_numpy()
    out = out.sort_values(["on_time_rate_90", "delay_mean_90", "supplier_id"], ascending=[True, False, True],
                          na_position="last", kind="mergesort", ignore_index=True)
    return out[SUPPLIER_COLUMNS]


def supplier_delay_history(supplier_features: pd.DataFrame, supplier_ids: Sequence[str],
                           days: int = 365) -> pd.DataFrame:
    """Daily 90-day mean delay of ``supplier_ids`` over the last ``days`` days (date x supplier)."""
    frame = supplier_features[supplier_features["supplier_id"].isin(list(supplier_ids))]
    dates = pd.to_datetime(frame["date"])
    frame = frame[dates > dates.max() - pd.Timedelta(days=days)]
    return frame.pivot_table(index="date", columns="supplier_id", values="supplier_delay_mean_90", aggfunc="last")


def forecast_series(reference: pd.DataFrame, ranked: pd.DataFrame, n: int = 4) -> list[str]:
    """Series to plot: the top-risk SKU-locations the held-out forecast covers, then the busiest."""
    available = pd.Index(reference["unique_id"].unique())
    risky = series_id(ranked).drop_duplicates()
    chosen = [s for s in risky.head(200) if s in available][:n]
    if len(chosen) < n:
        busiest = reference.groupby("unique_id")["label"].sum().sort_values(ascending=False, kind="mergesort")
        chosen += [s for s in busiest.index if s not in chosen][: n - len(chosen)]
    return chosen


def forecast_vs_actual(reference: pd.DataFrame, series: Sequence[str]) -> pd.DataFrame:
    """Held-out forecast quantiles against realized demand for ``series``: unique_id, ds, p10, p50,
    p90, actual (the demand champion's backtest window: it was fitted before ``ds``)."""
    frame = reference[reference["unique_id"].isin(list(series))]
    out = pd.DataFrame(
        {
            "unique_id": frame["unique_id"].to_numpy(),
            "ds": pd.to_datetime(frame["ds"]).to_numpy(),
            "p10": frame["p10"].to_numpy(float),
            "p50": frame["prediction"].to_numpy(float),
            "p90": frame["p90"].to_numpy(float),
            "actual": frame["label"].to_numpy(float),
        }
    )
    return out.sort_values(["unique_id", "ds"], ignore_index=True)


def forecast_accuracy(frame: pd.DataFrame) -> pd.DataFrame:
    """Per series: days, actual and forecast units, WAPE of the median and 80% band coverage."""
    inside = (frame["actual"] >= frame["p10"]) & (frame["actual"] <= frame["p90"])
    g = frame.assign(error=(frame["actual"] - frame["p50"]).abs(), inside=inside).groupby("unique_id")
    out = pd.DataFrame(
        {
            "days": g.size(),
            "actual_units": g["actual"].sum(),
            "forecast_units_p50": g["p50"].sum(),
            "coverage_80": g["inside"].mean(),
        }
    )
    out["wape"] = g["error"].sum() / out["actual_units"].where(out["actual_units"] > 0)
    return out.reset_index()


def daily_actuals(order_lines: pd.DataFrame, orders: pd.DataFrame, series: Sequence[str],
                  start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Realized daily demand (units ordered) of ``series`` between ``start`` and ``end`` inclusive."""
    ids = series_id(order_lines)
    lines = order_demand(order_lines[ids.isin(list(series))].assign(unique_id=ids), orders)
    lines = lines.assign(ds=lines["order_date"])
    lines = lines[(lines["ds"] >= start) & (lines["ds"] <= end)]
    summed = lines.groupby(["unique_id", "ds"])["quantity"].sum()
    grid = pd.MultiIndex.from_product([list(series), pd.date_range(start, end, freq="D")], names=["unique_id", "ds"])
    return summed.reindex(grid, fill_value=0).astype(float).rename("actual").reset_index()


def what_if_table(runs: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """What-if runs side by side with the change against the first (baseline) run."""
    out = pd.DataFrame(list(runs))
    base = out.iloc[0] if len(out) else None
    if base is not None:
        out["backordered_units_change"] = out["backordered_units"] - base["backordered_units"]
        out["total_cost_change"] = out["total_cost"] - base["total_cost"]
    for col in WHAT_IF_COLUMNS:
        if col not in out.columns:
            out[col] = np.nan
    return out[WHAT_IF_COLUMNS]
