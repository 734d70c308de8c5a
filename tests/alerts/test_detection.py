"""Detection on small hand-made frames whose exceptions are obvious."""

from __future__ import annotations

import pandas as pd
import pytest

from alerts.detection import (
    forecast_biases,
    late_purchase_orders,
    order_lines_at_risk,
    retraining_exceptions,
    stockouts_within_lead_time,
    supplier_delay_trends,
)
from alerts.kinds import EXCEPTION_FIELDS
from settings.sections import AlertsSettings

AS_OF = pd.Timestamp("2026-03-02")
CFG = AlertsSettings(penalty_per_unit=10.0, warning_cost=100.0, critical_cost=1000.0, stockout_demand_factor=1.0)


def _open_pos(**columns) -> pd.DataFrame:
    base = {
        "po_id": ["PO1", "PO2", "PO3", "PO4"],
        "supplier_id": ["S1", "S1", "S2", "S2"],
        "sku_id": ["A", "A", "B", "C"],
        "location_id": ["DC1", "DC1", "DC1", "DC2"],
        "quantity": [50, 20, 30, 40],
        "promised_date": pd.to_datetime(["2026-03-05", "2026-03-20", "2026-02-25", "2026-03-10"]),
        "eta": pd.to_datetime(["2026-03-09", None, None, None]),
    }
    return pd.DataFrame({**base, **columns})


def test_order_lines_at_risk_keeps_risky_lines_with_their_action_and_cost():
    scored = pd.DataFrame({
        "order_id": ["O1", "O1", "O2"], "line_id": ["1", "2", "1"], "sku_id": ["A", "B", "C"],
        "location_id": ["DC1", "DC1", "DC2"], "quantity": [10, 5, 100],
        "backorder_probability": [0.6, 0.1, 0.9],
        "action": ["reallocate", "allocate", "expedite"],
        "expected_effect": ["move 10 units from DC-2", "reserve", "expedite PO-1"],
    })
    found = order_lines_at_risk(scored, CFG).set_index("dedup_key")
    assert list(found.columns) == [c for c in EXCEPTION_FIELDS if c != "dedup_key"]
    assert sorted(found.index) == ["order_line_at_risk:O1|1", "order_line_at_risk:O2|1"]
    first = found.loc["order_line_at_risk:O1|1"]
    assert first["expected_cost"] == pytest.approx(0.6 * 10 * 10.0)
    assert first["severity"] == "info"  # cost 60 is under warning_cost
    assert first["action"] == "reallocate" and first["expected_effect"] == "move 10 units from DC-2"
    assert found.loc["order_line_at_risk:O2|1", "severity"] == "critical"
    assert found.loc["order_line_at_risk:O2|1", "reason_codes"] == ["risk_critical"]


def test_stockout_within_lead_time_counts_only_inbound_that_arrives_in_time():
    positions = pd.DataFrame({
        "sku_id": ["A", "B", "C"], "location_id": ["DC1", "DC1", "DC2"],
        "on_hand": [20, 100, 5], "reserved": [10, 0, 5], "in_transit": [0, 0, 0],
    })
    lead_times = pd.DataFrame({"sku_id": ["A", "B", "C"], "location_id": ["DC1", "DC1", "DC2"],
                               "lead_time_days": [10, 10, 5]})
    days = pd.date_range(AS_OF + pd.Timedelta(days=1), periods=14)
    demand = pd.concat([
        pd.DataFrame({"sku_id": s, "location_id": loc, "ds": days, "p50": rate})
        for s, loc, rate in [("A", "DC1", 8.0), ("B", "DC1", 2.0), ("C", "DC2", 1.0)]
    ])
    # A: 10 available + PO1 (ETA day 7; PO2 comes after the lead time) - 80 demand = -20
    # B: 100 - 20 >= 0 ; C: 0 available, no inbound in 5 days, 5 demand -> -5
    found = stockouts_within_lead_time(positions, _open_pos(), demand, lead_times, AS_OF, CFG)
    found = found.set_index("dedup_key")
    assert sorted(found.index) == ["stockout_within_lead_time:A|DC1", "stockout_within_lead_time:C|DC2"]
    a = found.loc["stockout_within_lead_time:A|DC1"]
    assert a["details"]["inbound"] == 50.0 and a["details"]["projected"] == pytest.approx(-20.0)
    # time-phased: 10 - 6 days x 8 = -38 before PO1 lands on day 7, the units short that are costed
    assert a["details"]["lowest_projected"] == pytest.approx(-38.0)
    assert a["details"]["stockout_date"] == "2026-03-04"
    assert a["expected_cost"] == pytest.approx(380.0) and a["severity"] == "warning"
    assert found.loc["stockout_within_lead_time:C|DC2", "reason_codes"] == ["projected_stockout", "no_inbound"]


def test_late_purchase_orders_flags_asn_late_overdue_and_likely_late():
    open_pos = _open_pos(
        delay_p10=[0.0, -4.0, 0.0, 1.0], delay_p50=[1.0, -2.0, 2.0, 4.0], delay_p90=[3.0, 1.0, 5.0, 8.0]
    )
    found = late_purchase_orders(open_pos, AS_OF, CFG).set_index("po_id")
    assert sorted(found.index) == ["PO1", "PO3", "PO4"]  # PO2 is likely on time
    assert "asn_after_promise" in found.loc["PO1", "reason_codes"]
    assert found.loc["PO1", "details"]["expected_delay_days"] == 4.0
    assert "overdue" in found.loc["PO3", "reason_codes"]
    assert found.loc["PO4", "reason_codes"] == ["late_probability"]
    assert found.loc["PO3", "expected_cost"] == pytest.approx(30 * 10.0)


def test_late_purchase_orders_without_delay_quantiles_uses_asn_and_promise_only():
    found = late_purchase_orders(_open_pos(), AS_OF, CFG)
    assert sorted(found["po_id"]) == ["PO1", "PO3"]


def test_supplier_delay_trend_breaches_on_recent_delays_only():
    received = pd.date_range("2026-01-05", periods=6, freq="7D")
    old = pd.date_range("2025-05-01", periods=6, freq="14D")
    rows = []
    for supplier, recent_delay in (("S1", 6), ("S2", 0)):
        rows += [{"supplier_id": supplier, "promised_date": d - pd.Timedelta(days=recent_delay), "received_date": d}
                 for d in received]
        rows += [{"supplier_id": supplier, "promised_date": d, "received_date": d} for d in old]
    rows.append({"supplier_id": "S3", "promised_date": AS_OF - pd.Timedelta(days=30),
                 "received_date": AS_OF})  # one late receipt: too few to judge
    found = supplier_delay_trends(pd.DataFrame(rows), AS_OF, CFG, open_pos=_open_pos())
    assert list(found["supplier_id"]) == ["S1"]
    s1 = found.iloc[0]
    assert s1["reason_codes"] == ["recent_delay_above_limit", "delay_trend_above_limit"]
    assert s1["details"]["recent_mean_delay"] == 6.0
    assert s1["expected_cost"] == pytest.approx(70 * 1.0 * 10.0)


def test_forecast_bias_names_the_direction_and_skips_small_series():
    days = 10
    forecasts = pd.DataFrame({
        "sku_id": ["A"] * days + ["B"] * days + ["C"] * days + ["D"] * days,
        "location_id": "DC1",
        "forecast": [5.0] * days + [15.0] * days + [10.0] * days + [1.0] * days,
        "actual": [10.0] * days + [10.0] * days + [11.0] * days + [0.1] * days,
    })
    found = forecast_biases(forecasts, CFG).set_index("sku_id")
    assert sorted(found.index) == ["A", "B"]
    assert found.loc["A", "reason_codes"] == ["under_forecast"]
    assert found.loc["B", "reason_codes"] == ["over_forecast"]
    assert found.loc["A", "expected_cost"] == pytest.approx(50 * 10.0)


def test_model_retrain_follows_the_monitoring_verdict():
    verdicts = pd.DataFrame({"model": ["backorder_risk", "demand"], "retrain": [True, False],
                             "reasons": [["prediction drift: PSI 0.31"], []]})
    found = retraining_exceptions(verdicts)
    assert list(found["dedup_key"]) == ["model_retrain:backorder_risk"]
    assert "prediction drift" in found.iloc[0]["summary"]


def test_a_missing_column_is_named():
    with pytest.raises(ValueError, match="backorder_probability"):
        order_lines_at_risk(pd.DataFrame({"order_id": ["O"]}), CFG)


def test_late_purchase_orders_take_the_lead_time_model_s_p_late_when_given():
    found = late_purchase_orders(_open_pos(p_late=[0.0, 0.7, 0.0, 0.2]), AS_OF, CFG).set_index("po_id")
    assert sorted(found.index) == ["PO1", "PO2", "PO3"]
    assert found.loc["PO2", "reason_codes"] == ["late_probability"]
    assert found.loc["PO2", "expected_cost"] == pytest.approx(20 * 0.7 * 10.0)


def test_thresholds_out_of_order_are_refused_naming_them():
    with pytest.raises(ValueError, match="warning_cost"):
        AlertsSettings(warning_cost=2000, critical_cost=1000)
    with pytest.raises(ValueError, match="line_risk"):
        AlertsSettings(line_risk=0.9, line_risk_critical=0.8)


def test_stockout_within_lead_time_sees_stock_running_dry_before_a_po_lands():
    # 10 available, 2 a day: dry after day 5; 100 units land on day 8 and cover the lead time's total
    positions = pd.DataFrame({"sku_id": ["D"], "location_id": ["DC1"], "on_hand": [10], "reserved": [0],
                              "in_transit": [0]})
    lead_times = pd.DataFrame({"sku_id": ["D"], "location_id": ["DC1"], "lead_time_days": [10]})
    demand = pd.DataFrame({"sku_id": "D", "location_id": "DC1",
                           "ds": pd.date_range(AS_OF + pd.Timedelta(days=1), periods=10), "p50": 2.0})
    open_pos = _open_pos().iloc[:1].assign(sku_id="D", quantity=100, eta=AS_OF + pd.Timedelta(days=8))
    found = stockouts_within_lead_time(positions, open_pos, demand, lead_times, AS_OF, CFG)
    details = found.iloc[0]["details"]
    assert details["projected"] == pytest.approx(90.0) and details["lowest_projected"] == pytest.approx(-4.0)
    assert details["stockout_date"] == (AS_OF + pd.Timedelta(days=6)).strftime("%Y-%m-%d")
    # a margin above the shortfall keeps it quiet; a higher demand factor deepens it
    quiet = CFG.model_copy(update={"stockout_margin_units": 4.0})
    assert stockouts_within_lead_time(positions, open_pos, demand, lead_times, AS_OF, quiet).empty
    busier = CFG.model_copy(update={"stockout_demand_factor": 1.5})
    deeper = stockouts_within_lead_time(positions, open_pos, demand, lead_times, AS_OF, busier).iloc[0]
    assert deeper["details"]["lowest_projected"] == pytest.approx(10 - 7 * 3.0)


def test_a_lumpy_series_runs_short_of_its_demand_quantile_while_its_median_is_covered():
    # 12 available, 2 a day over 5 days: the median leaves 2; a spread of 3 units a day takes the
    # 0.8 quantile of the 5 days' demand 0.84 x 3 x sqrt(5) = 5.6 units higher
    positions = pd.DataFrame({"sku_id": ["L", "S"], "location_id": "DC1", "on_hand": 12, "reserved": 0,
                              "in_transit": 0})
    lead_times = pd.DataFrame({"sku_id": ["L", "S"], "location_id": "DC1", "lead_time_days": 5})
    days = pd.date_range(AS_OF + pd.Timedelta(days=1), periods=5)
    demand = pd.concat([
        pd.DataFrame({"sku_id": "L", "location_id": "DC1", "ds": days, "p50": 2.0, "p90": 2.0 + 1.2816 * 3}),
        pd.DataFrame({"sku_id": "S", "location_id": "DC1", "ds": days, "p50": 2.0, "p90": 2.0}),
    ])
    cautious = CFG.model_copy(update={"stockout_demand_quantile": 0.8})
    [lumpy] = stockouts_within_lead_time(positions, _open_pos().iloc[:0], demand, lead_times, AS_OF,
                                         cautious).to_dict("records")
    assert lumpy["sku_id"] == "L"
    assert lumpy["details"]["demand_cushion"] == pytest.approx(0.8416 * 3 * 5**0.5, abs=0.01)
    assert lumpy["details"]["lowest_projected"] == pytest.approx(2 - 0.8416 * 3 * 5**0.5, abs=0.01)
    median_only = CFG.model_copy(update={"stockout_demand_quantile": 0.5})
    assert stockouts_within_lead_time(positions, _open_pos().iloc[:0], demand, lead_times, AS_OF,
                                      median_only).empty


def test_a_po_no_asn_announced_lands_no_sooner_than_the_asn_notice():
    # 2 available, 2 a day; 40 units overdue since 2026-02-25 without an ASN, 40 announced for tomorrow
    positions = pd.DataFrame({"sku_id": ["U", "N"], "location_id": "DC1", "on_hand": 2, "reserved": 0,
                              "in_transit": 0})
    lead_times = pd.DataFrame({"sku_id": ["U", "N"], "location_id": "DC1", "lead_time_days": 10})
    demand = pd.DataFrame({"sku_id": ["U"] * 10 + ["N"] * 10, "location_id": "DC1",
                           "ds": list(pd.date_range(AS_OF + pd.Timedelta(days=1), periods=10)) * 2, "p50": 2.0})
    open_pos = _open_pos().iloc[2:4].assign(
        sku_id=["U", "N"], location_id="DC1", quantity=40, promised_date=pd.Timestamp("2026-02-25"),
        eta=[pd.NaT, AS_OF + pd.Timedelta(days=1)])
    next_day = CFG.model_copy(update={"stockout_asn_notice_days": 1})
    assert stockouts_within_lead_time(positions, open_pos, demand, lead_times, AS_OF, next_day).empty
    # with a 3-day notice the unannounced PO lands on day 3, after the stock ran dry on day 2
    notice = CFG.model_copy(update={"stockout_asn_notice_days": 3})
    [short] = stockouts_within_lead_time(positions, open_pos, demand, lead_times, AS_OF, notice).to_dict("records")
    assert short["sku_id"] == "U"
    assert short["details"]["lowest_projected"] == pytest.approx(2 - 2 * 2.0)
    assert short["details"]["stockout_date"] == (AS_OF + pd.Timedelta(days=2)).strftime("%Y-%m-%d")
