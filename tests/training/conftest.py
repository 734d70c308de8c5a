"""Small generated data sets for the forecasting and lead-time tests (real column formats)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

STALLION_FLAGS = (
    "easter_day",
    "good_friday",
    "new_year",
    "christmas",
    "labor_day",
    "independence_day",
    "revolution_day_memorial",
    "regional_games",
    "fifa_u_17_world_cup",
    "football_gold_cup",
    "beer_capital",
    "music_fest",
)



def stallion_frames(
    n_agencies: int = 3, n_skus: int = 2, months: int = 30, horizon: int = 6, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, future) in the Stallion file formats; future lacks volume and unknown reals."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2015-01-01", periods=months + horizon, freq="MS")
    keys = pd.MultiIndex.from_product(
        [
            [f"Agency_{a:02d}" for a in range(n_agencies)],
            [f"SKU_{s:02d}" for s in range(n_skus)],
            dates,
        ],
        names=["agency", "sku", "date"],
    ).to_frame(index=False)
    n = len(keys)
    price_regular = rng.uniform(1000, 2000, n)
    discount = rng.uniform(0, 200, n)
    level = rng.uniform(50, 3000, n_agencies * n_skus).repeat(months + horizon)
    keys["volume"] = (
        level * (1 + 0.2 * np.sin(keys["date"].dt.month.to_numpy())) * rng.gamma(20, 1 / 20, n)
    )
    keys["industry_volume"] = rng.integers(4e8, 6e8, n)
    keys["soda_volume"] = rng.integers(6e8, 9e8, n)
    keys["avg_max_temp"] = rng.uniform(15, 35, n)
    keys["price_regular"] = price_regular
    keys["price_actual"] = price_regular - discount
    keys["discount"] = discount
    keys["avg_population_2017"] = rng.integers(1e4, 1e6, n)
    keys["avg_yearly_household_income_2017"] = rng.integers(1e5, 2e5, n)
    for flag in STALLION_FLAGS:
        keys[flag] = rng.integers(0, 2, n)
    keys["discount_in_percent"] = 100 * discount / price_regular
    is_train = keys["date"] < dates[months]
    train = keys[is_train].reset_index(drop=True)
    future = keys[~is_train].drop(
        columns=["volume", "industry_volume", "soda_volume", "avg_max_temp"]
    )
    return train, future.reset_index(drop=True)


def scms_frame(n: int = 1200, seed: int = 0) -> pd.DataFrame:
    """Shipments in the SCMS delivery-history format; vendor B and ocean freight run late."""
    rng = np.random.default_rng(seed)
    scheduled = pd.Timestamp("2010-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 1500, n)), "D")
    vendor = rng.choice(["Vendor A", "Vendor B", "SCMS from RDC"], n, p=[0.4, 0.3, 0.3])
    mode = rng.choice(["Air", "Truck", "Ocean"], n)
    base = np.where(vendor == "Vendor B", 8.0, 0.0) + np.where(mode == "Ocean", 10.0, 0.0)
    delay = np.round(base + rng.normal(0, 3, n) * (rng.random(n) < 0.6)).astype("int64")
    delivered = scheduled + pd.to_timedelta(delay, "D")
    po_sent = scheduled - pd.to_timedelta(rng.integers(30, 120, n), "D")
    no_po = rng.random(n) < 0.3
    weight = rng.integers(1, 5000, n).astype(str).astype(object)
    weight[rng.random(n) < 0.1] = "Weight Captured Separately"
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "project_code": "100-CI-T01",
            "country": rng.choice(["Nigeria", "Haiti"], n),
            "managed_by": "PMO - US",
            "fulfill_via": np.where(vendor == "SCMS from RDC", "From RDC", "Direct Drop"),
            "vendor_inco_term": "EXW",
            "shipment_mode": mode,
            "po_sent_to_vendor_date": po_sent.where(~no_po),
            "scheduled_delivery_date": scheduled,
            "delivered_to_client_date": delivered,
            "delivery_recorded_date": delivered,
            "po_sent_to_vendor_date_raw": np.where(no_po, "Date Not Captured", None),
            "delivered_to_client_date_raw": None,
            "delivery_recorded_date_raw": None,
            "product_group": rng.choice(["ARV", "HRDT"], n),
            "vendor": vendor,
            "line_item_quantity": rng.integers(1, 10000, n),
            "line_item_value": rng.uniform(10, 1e5, n),
            "weight_kg": weight,
            "weight_kg_num": pd.to_numeric(pd.Series(weight), errors="coerce"),
            "first_line_designation": rng.random(n) < 0.5,
            "delay_days": delay,
            "po_to_delivery_days": ((delivered - po_sent) / pd.Timedelta(days=1)).where(~no_po),
        }
    )


SCMS_OUTCOME_COLUMNS = (
    "delivered_to_client_date",
    "delivery_recorded_date",
    "delivered_to_client_date_raw",
    "delivery_recorded_date_raw",
    "delay_days",
    "po_to_delivery_days",
)


@pytest.fixture
def panel(make_panel) -> pd.DataFrame:
    return make_panel(n_series=30, n_periods=48, seed=1)


@pytest.fixture
def make_stallion():
    return stallion_frames


@pytest.fixture
def make_scms():
    return scms_frame


@pytest.fixture
def scms_outcomes() -> tuple[str, ...]:
    return SCMS_OUTCOME_COLUMNS
