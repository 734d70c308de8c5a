"""Inventory-logic features for the Kaggle SKU snapshot (``contracts.kaggle`` table).

A planner asks: will stock on hand plus what is in transit cover the forecast until the next
supply can arrive (the lead time)? The features below spell that out — cover, projected position
at lead time, forecast versus recent sales, past-due and minimum-bank gaps — so that a modest
tree model does not have to rediscover ratios from raw quantities. Everything is vectorized and
row-local (no statistic learned from other rows), so the same function serves training and
scoring without leakage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from contracts.kaggle import FLAG_COLUMNS, QUANTITY_COLUMNS

WEEKS_PER_MONTH = 52.0 / 12.0
# Used only inside projections when the lead time is unknown; the raw lead_time stays NaN.
DEFAULT_LEAD_TIME_WEEKS = 8.0

DERIVED_FEATURES: dict[str, str] = {
    "lead_time_missing": "lead time is unknown",
    "perf_missing": "supplier performance history is missing",
    "monthly_forecast": "forecast demand is {value:.0f} units a month",
    "monthly_sales_3m": "recent sales average {value:.0f} units a month",
    "lead_time_demand": "forecast demand over the lead time is {value:.0f} units",
    "inventory_position": "on hand + in transit - past due is {value:.0f} units",
    "projected_stock_at_lead_time": "projected stock at lead time is {value:.0f} units",
    "projected_cover_ratio": "projected stock covers {value:.2f} of lead-time demand",
    "cover_months": "stock on hand covers {value:.1f} months of forecast",
    "position_cover_months": "stock position covers {value:.1f} months of forecast",
    "lead_time_months": "lead time is {value:.1f} months",
    "cover_minus_lead_time": "cover minus lead time is {value:.1f} months",
    "forecast_to_sales_3m": "3-month forecast is {value:.2f}x recent sales",
    "forecast_to_sales_9m": "9-month forecast is {value:.2f}x sales of the last 9 months",
    "sales_trend_1_to_3": "last month's sales are {value:.2f}x the 3-month average",
    "sales_trend_3_to_9": "3-month sales are {value:.2f}x the 9-month average",
    "forecast_trend_3_to_9": "near-term forecast is {value:.2f}x the 9-month average",
    "min_bank_gap": "stock on hand minus minimum bank is {value:.0f} units",
    "below_min_bank": "stock on hand is below the minimum bank",
    "past_due_share": "past-due pieces are {value:.2f} of monthly forecast",
    "has_past_due": "pieces are past due",
    "local_bo_share": "local backorders are {value:.2f} of monthly forecast",
    "in_transit_share": "in transit is {value:.2f} of lead-time demand",
    "stock_out_now": "stock on hand is zero or negative",
    "perf_6_month_gap": "supplier performance moved {value:+.2f} (6 vs 12 months)",
    "monthly_demand_max": "the higher of forecast and recent sales is {value:.0f} units a month",
    "projected_stock_max_demand": "projected stock at lead time, at that higher demand, is {value:.0f} units",
    "cover_max_demand": "stock position covers {value:.1f} months of that higher demand",
    "forecast_beyond_3m": "forecast for months 4-9 is {value:.0f} units a month",
    "sales_1m_to_stock": "last month's sales are {value:.2f}x stock on hand",
}
RAW_FEATURES: dict[str, str] = {
    "national_inv": "stock on hand is {value:.0f} units",
    "lead_time": "lead time is {value:.0f} weeks",
    "in_transit_qty": "in transit is {value:.0f} units",
    "forecast_3_month": "3-month forecast is {value:.0f} units",
    "forecast_6_month": "6-month forecast is {value:.0f} units",
    "forecast_9_month": "9-month forecast is {value:.0f} units",
    "sales_1_month": "last month's sales are {value:.0f} units",
    "sales_3_month": "3-month sales are {value:.0f} units",
    "sales_6_month": "6-month sales are {value:.0f} units",
    "sales_9_month": "9-month sales are {value:.0f} units",
    "min_bank": "minimum bank is {value:.0f} units",
    "pieces_past_due": "{value:.0f} pieces are past due",
    "perf_6_month_avg": "supplier 6-month performance is {value:.2f}",
    "perf_12_month_avg": "supplier 12-month performance is {value:.2f}",
    "local_bo_qty": "local backorder quantity is {value:.0f} units",
    "potential_issue": "a potential issue is flagged",
    "deck_risk": "deck risk is flagged",
    "oe_constraint": "an OE constraint is flagged",
    "ppap_risk": "PPAP risk is flagged",
    "stop_auto_buy": "auto-buy is stopped",
    "rev_stop": "revision stop is flagged",
}
# Reason templates for every model input, keyed by feature name ({value} is the row's value).
REASON_TEMPLATES: dict[str, str] = {**RAW_FEATURES, **DERIVED_FEATURES}
FEATURES: tuple[str, ...] = tuple(REASON_TEMPLATES)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """Ratio with a +1 smoothing of the denominator: finite for zero demand, scale-aware."""
    return numerator / (denominator.clip(lower=0) + 1.0)


def kaggle_features(snapshot: pd.DataFrame) -> pd.DataFrame:
    """Model inputs (``FEATURES``, float64) for each row of a typed Kaggle snapshot."""
    missing = [c for c in (*QUANTITY_COLUMNS, *FLAG_COLUMNS) if c not in snapshot]
    if missing:
        raise ValueError(f"kaggle_features: missing column(s) {', '.join(missing)}")
    s = snapshot
    out = pd.DataFrame(index=s.index)
    for name in QUANTITY_COLUMNS:
        out[name] = s[name].astype("float64")
    for name in FLAG_COLUMNS:
        out[name] = s[name].astype("float64")

    lead_weeks = s["lead_time"].fillna(DEFAULT_LEAD_TIME_WEEKS)
    lead_months = lead_weeks / WEEKS_PER_MONTH
    monthly_forecast = s["forecast_3_month"] / 3.0
    monthly_sales = s["sales_3_month"] / 3.0
    lead_time_demand = monthly_forecast * lead_months
    position = s["national_inv"] + s["in_transit_qty"] - s["pieces_past_due"]
    projected = position - lead_time_demand

    out["lead_time_missing"] = s["lead_time"].isna().astype("float64")
    out["perf_missing"] = s["perf_6_month_avg"].isna().astype("float64")
    out["monthly_forecast"] = monthly_forecast
    out["monthly_sales_3m"] = monthly_sales
    out["lead_time_demand"] = lead_time_demand
    out["inventory_position"] = position
    out["projected_stock_at_lead_time"] = projected
    out["projected_cover_ratio"] = _ratio(projected, lead_time_demand)
    out["cover_months"] = _ratio(s["national_inv"], monthly_forecast)
    out["position_cover_months"] = _ratio(position, monthly_forecast)
    out["lead_time_months"] = lead_months
    out["cover_minus_lead_time"] = out["position_cover_months"] - lead_months
    out["forecast_to_sales_3m"] = _ratio(s["forecast_3_month"], s["sales_3_month"])
    out["forecast_to_sales_9m"] = _ratio(s["forecast_9_month"], s["sales_9_month"])
    out["sales_trend_1_to_3"] = _ratio(s["sales_1_month"] * 3.0, s["sales_3_month"])
    out["sales_trend_3_to_9"] = _ratio(s["sales_3_month"] * 3.0, s["sales_9_month"])
    out["forecast_trend_3_to_9"] = _ratio(s["forecast_3_month"] * 3.0, s["forecast_9_month"])
    out["min_bank_gap"] = s["national_inv"] - s["min_bank"]
    out["below_min_bank"] = (s["national_inv"] < s["min_bank"]).astype("float64")
    out["past_due_share"] = _ratio(s["pieces_past_due"], monthly_forecast)
    out["has_past_due"] = (s["pieces_past_due"] > 0).astype("float64")
    out["local_bo_share"] = _ratio(s["local_bo_qty"], monthly_forecast)
    out["in_transit_share"] = _ratio(s["in_transit_qty"], lead_time_demand)
    out["stock_out_now"] = (s["national_inv"] <= 0).astype("float64")
    out["perf_6_month_gap"] = s["perf_6_month_avg"] - s["perf_12_month_avg"]
    # A zero forecast can be stale while the SKU still sells: demand at the higher of the rates.
    demand_max = pd.concat(
        [monthly_forecast, monthly_sales, s["sales_1_month"], s["forecast_9_month"] / 9.0], axis=1
    ).max(axis=1)
    out["monthly_demand_max"] = demand_max
    out["projected_stock_max_demand"] = position - demand_max * lead_months
    out["cover_max_demand"] = _ratio(position, demand_max)
    out["forecast_beyond_3m"] = (s["forecast_9_month"] - s["forecast_3_month"]) / 6.0
    out["sales_1m_to_stock"] = _ratio(s["sales_1_month"], s["national_inv"])
    return out.loc[:, list(FEATURES)].replace([np.inf, -np.inf], np.nan)


class KaggleFeatures(TransformerMixin, BaseEstimator):
    """``kaggle_features`` as a stateless scikit-learn transformer (for pipelines)."""

    def fit(self, X: pd.DataFrame, y: object = None) -> KaggleFeatures:
        self.feature_names_out_ = np.asarray(FEATURES, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return kaggle_features(X)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.asarray(FEATURES, dtype=object)
