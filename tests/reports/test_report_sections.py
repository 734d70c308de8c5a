"""The report's tables as a planner reads them: ranked by expected cost, explained, exportable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reports import sections
from reports.whatif import WhatIf, what_if_configs

AS_OF = pd.Timestamp("2024-06-30")


def _latest(**columns: list) -> pd.DataFrame:
    n = len(columns["sku_id"])
    base = {
        "location_id": ["DC-1"] * n,
        "supplier_id": ["S-1"] * n,
        "allocated": [0.0] * n,
    }
    return pd.DataFrame({**base, **columns})


def test_at_risk_is_ranked_by_expected_cost_not_probability():
    # B is the likelier backorder, but A is short by far more units of a dearer item.
    latest = _latest(sku_id=["A", "B", "C"], on_hand=[20.0, 130.0, 1000.0])
    demand = sections.horizon_demand(pd.DataFrame({"mean": [10.0] * 3, "sd": [3.0] * 3}), horizon=14)
    inbound = pd.DataFrame(columns=["sku_id", "location_id", "inbound_by_need_date"])
    scored = sections.score_positions(latest, np.array([0.6, 0.9, 0.01]), demand, inbound, np.array([5.0, 1.0, 5.0]))
    ranked = sections.rank_at_risk(scored)

    assert ranked["sku_id"].tolist() == ["A", "B", "C"]
    assert ranked["rank"].tolist() == [1, 2, 3]
    a = ranked.iloc[0]
    assert a["expected_cost"] == pytest.approx(a["backorder_probability"] * a["shortfall_if_short"] * 5.0)
    # 14 days x 10 units a day against 20 on the shelf: about 120 units short if short.
    assert 100 < a["shortfall_if_short"] < 140
    assert (ranked["shortfall_if_short"] >= 1.0).all()  # a backorder is at least one unit
    assert ranked.iloc[2]["expected_cost"] < 0.1


def test_inbound_counts_only_what_arrives_by_the_need_date():
    open_pos = pd.DataFrame(
        {
            "po_id": ["P1", "P2"],
            "sku_id": ["A", "A"],
            "location_id": ["DC-1", "DC-1"],
            "quantity": [50.0, 70.0],
            "promised_date": [AS_OF + pd.Timedelta(days=2), AS_OF + pd.Timedelta(days=40)],
            "delay_p10": [0.0, 0.0],
            "delay_p50": [1.0, 1.0],
            "delay_p90": [3.0, 3.0],
        }
    )
    inbound = sections.expected_inbound(open_pos, AS_OF + pd.Timedelta(days=14))
    assert inbound["inbound_by_need_date"].iloc[0] == pytest.approx(50.0, abs=0.5)


def test_csv_tables_have_the_documented_columns():
    latest = _latest(sku_id=["A"], on_hand=[5.0])
    scored = sections.score_positions(
        latest, np.array([0.5]), sections.horizon_demand(pd.DataFrame({"mean": [10.0], "sd": [3.0]}), 7),
        pd.DataFrame(columns=["sku_id", "location_id", "inbound_by_need_date"]), np.array([2.0]),
    )
    table = sections.at_risk_table(sections.rank_at_risk(scored))
    assert list(table.columns) == sections.AT_RISK_COLUMNS
    runs = [
        {"scenario": "baseline", "lead_time_scale": 1.0, "safety_stock_factor": 1.0, "days": 90,
         "backordered_units": 100.0, "fill_rate": 0.9, "total_cost": 1000.0},
        {"scenario": "lead time -20%", "lead_time_scale": 0.8, "safety_stock_factor": 1.0, "days": 90,
         "backordered_units": 60.0, "fill_rate": 0.94, "total_cost": 900.0},
    ]
    what_if = sections.what_if_table(runs)
    assert list(what_if.columns) == sections.WHAT_IF_COLUMNS
    assert what_if["backordered_units_change"].tolist() == [0.0, -40.0]


def test_reasons_name_the_features_that_push_towards_backorder():
    features = pd.DataFrame({"days_of_cover": [2.0, 40.0], "supplier_delay_mean_90": [6.0, 0.0]})
    contributions = np.array([[1.5, 0.7, -2.0], [-1.0, -0.2, -2.0]])  # last column: bias
    text = sections.reason_text(contributions, features, list(features.columns), k=2)
    assert text.iloc[0] == "days of cover = 2; supplier mean delay, last 90 days (days) = 6"
    assert text.iloc[1] == ""  # nothing pushes the second row towards backorder


def test_supplier_scorecard_lists_the_least_reliable_first_with_a_trend():
    latest = pd.DataFrame(
        {
            "supplier_id": ["S-1", "S-2", "S-3"],
            "supplier_receipts_365": [40.0, 30.0, 0.0],
            "supplier_on_time_rate_90": [0.9, 0.4, np.nan],
            "supplier_on_time_rate_365": [0.85, 0.7, np.nan],
            "supplier_delay_mean_90": [0.2, 4.0, np.nan],
            "supplier_delay_mean_365": [0.5, 1.5, np.nan],
            "supplier_delay_trend": [-0.3, 2.5, np.nan],
            "supplier_fill_rate_90": [1.0, 0.95, np.nan],
            "supplier_fill_rate_365": [0.99, 0.97, np.nan],
            "supplier_open_po_count": [3.0, 5.0, 0.0],
        }
    )
    names = pd.DataFrame({"supplier_id": ["S-1", "S-2", "S-3"], "name": ["One", "Two", "Three"]})
    card = sections.supplier_scorecard(latest, names)
    assert card["supplier_id"].tolist() == ["S-2", "S-1", "S-3"]
    assert card["trend"].tolist() == ["worsening", "stable", "no recent receipts"]
    assert list(card.columns) == sections.SUPPLIER_COLUMNS


def test_forecast_plots_prefer_top_risk_series_and_use_held_out_rows():
    days = pd.date_range("2024-06-24", periods=7)
    reference = pd.DataFrame(
        {
            "unique_id": np.repeat(["A|DC-1", "B|DC-1", "C|DC-1"], 7),
            "ds": np.tile(days, 3),
            "p10": 1.0, "prediction": 2.0, "p90": 4.0,
            "label": np.r_[np.full(7, 2.0), np.full(7, 9.0), np.full(7, 5.0)],
        }
    )
    ranked = pd.DataFrame({"sku_id": ["Z", "C"], "location_id": ["DC-1", "DC-1"]})
    series = sections.forecast_series(reference, ranked, n=2)
    assert series == ["C|DC-1", "B|DC-1"]  # Z has no held-out forecast; then the busiest series
    frame = sections.forecast_vs_actual(reference, series)
    accuracy = sections.forecast_accuracy(frame).set_index("unique_id")
    assert accuracy.loc["C|DC-1", "coverage_80"] == 0.0 and accuracy.loc["B|DC-1", "wape"] == pytest.approx(7 / 9)


def test_what_ifs_rerun_the_world_with_its_seed_and_scaled_knobs():
    world = {"seed": 7, "n_skus": 12, "n_locations": 3, "n_suppliers": 4, "knobs": {"lead_time_scale": 1.5}}
    configs = what_if_configs(world, days=60, what_ifs=(WhatIf("baseline"), WhatIf("faster", lead_time_scale=0.8)))
    (_, base), (_, faster) = configs
    assert base.seed == faster.seed == 7 and base.n_days == 60 and base.n_skus == 12
    assert faster.knobs.lead_time_scale == pytest.approx(1.2) and base.knobs.lead_time_scale == 1.5


def test_horizon_demand_sums_the_daily_forecast_and_scales_it_to_the_horizon():
    days = pd.date_range("2024-07-01", periods=7)
    daily = pd.DataFrame({"unique_id": "A|DC-1", "ds": days, "p10": 2.0, "p50": 4.0, "p90": 6.0})
    keys = pd.DataFrame({"sku_id": ["A", "B"], "location_id": ["DC-1", "DC-1"]})
    demand = sections.horizon_demand_from_daily(daily, keys, horizon=14)
    assert demand.loc[0, "demand_p50"] == pytest.approx(56.0)  # 7 days x 4, twice over
    spread = sections.Z90 * np.sqrt(14 * (4.0 / (2 * sections.Z90)) ** 2)
    assert demand.loc[0, "demand_p90"] == pytest.approx(56.0 + spread)
    assert demand.loc[1].isna().all()  # no forecast for B: the caller falls back to history
