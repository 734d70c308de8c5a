"""The pure monitoring steps: flattening the log, joining outcomes, target drift, the plan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitoring.drift import DriftThresholds
from monitoring.evidence import NOT_ENOUGH_DATA, MinimumWindow, logged_evidence
from monitoring.outcomes import join_outcomes, line_outcomes, outcomes_as_of
from monitoring.prediction_window import current_window, logged_lines
from monitoring.report import drift_not_judged, monitoring_summary, render_html
from monitoring.risk_check import ModelCheck
from monitoring.target_drift import check_lead_time_model


def _log(rows: list[tuple[str, int, str, float, float]]) -> pd.DataFrame:
    """(order_id, line_id, logged_at, feature value, score) rows shaped as read_prediction_log returns."""
    return pd.DataFrame(
        {
            "request_id": [f"r{i}" for i in range(len(rows))],
            "logged_at": pd.to_datetime([r[2] for r in rows], utc=True),
            "model_version": "3",
            "order_id": [r[0] for r in rows],
            "line_id": [r[1] for r in rows],
            "sku_id": "SKU-1",
            "location_id": "DC-1",
            "inputs": [{} for _ in rows],
            "features": [{"on_hand": r[3], "days_of_cover": None} for r in rows],
            "outputs": [{"backorder_probability": r[4], "risk_level": "low"} for r in rows],
        }
    )


def test_a_requoted_line_counts_once_with_its_latest_score():
    log = _log([("O-1", 1, "2024-03-01", 5.0, 0.1), ("O-2", 1, "2024-03-02", 0.0, 0.7),
                ("O-1", 1, "2024-03-03", 2.0, 0.4)])
    lines = logged_lines(log)
    assert len(lines) == 2
    again = lines.set_index("order_id").loc["O-1"]
    assert again["backorder_probability"] == 0.4 and again["on_hand"] == 2.0
    assert np.isnan(again["days_of_cover"])  # unknown feature stays unknown


def test_window_keeps_only_the_recent_days():
    log = _log([("O-1", 1, "2024-01-01", 1.0, 0.1), ("O-2", 1, "2024-03-01", 1.0, 0.1),
                ("O-3", 1, "2024-03-10", 1.0, 0.1)])
    assert current_window(logged_lines(log), days=28)["order_id"].tolist() == ["O-2", "O-3"]


def test_empty_log_is_a_clear_error():
    with pytest.raises(ValueError, match="nothing has been scored"):
        logged_lines(_log([]))


def test_only_lines_with_a_known_outcome_join_the_log():
    day = pd.Timestamp
    order_lines = pd.DataFrame(
        {
            "order_id": ["O-1", "O-2", "O-3", "O-4"],
            "line_id": [1, 1, 1, 1],
            "requested_date": [day("2024-03-05"), day("2024-03-05"), day("2024-03-20"), day("2024-03-06")],
            "shipped_date": [day("2024-03-04"), day("2024-03-08"), pd.NaT, day("2024-03-06")],
            "backordered_quantity": [0, 0, 0, 0],
        }
    )
    as_of = outcomes_as_of(order_lines)
    assert as_of == day("2024-03-08")
    outcomes = line_outcomes(order_lines, as_of)
    assert dict(zip(outcomes["order_id"], outcomes["label"], strict=True)) == {"O-1": 0, "O-2": 1, "O-4": 0}
    log = _log([("O-1", 1, "2024-03-01", 1.0, 0.1), ("O-2", 1, "2024-03-01", 1.0, 0.8),
                ("O-3", 1, "2024-03-01", 1.0, 0.2)])
    joined = join_outcomes(logged_lines(log), outcomes)
    assert joined["order_id"].tolist() == ["O-1", "O-2"]  # O-3 not shipped, not yet due: unknown


def _purchase_orders(rng: np.random.Generator, late_from: pd.Timestamp | None) -> pd.DataFrame:
    ordered = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 330, 3000), unit="D")
    lead = rng.integers(5, 15, 3000)
    received = ordered + pd.to_timedelta(lead, unit="D")
    if late_from is not None:
        received = received + pd.to_timedelta(np.where(received >= late_from, 14, 0), unit="D")
    return pd.DataFrame(
        {"order_date": ordered, "promised_date": ordered + pd.Timedelta(days=10), "received_date": received}
    )


@pytest.mark.slow
def test_lead_time_shift_of_received_pos_is_flagged_and_a_steady_supply_is_not():
    rng = np.random.default_rng(0)
    as_of = pd.Timestamp("2024-12-01")
    steady = check_lead_time_model(_purchase_orders(rng, None), as_of, 28, DriftThresholds())
    shocked = check_lead_time_model(
        _purchase_orders(rng, pd.Timestamp("2024-10-15")), as_of, 28, DriftThresholds()
    )
    assert not steady.retrain and steady.reasons == []
    assert shocked.retrain and any("lead_time_days" in r for r in shocked.reasons)


def test_summary_lists_what_to_retrain_and_the_page_shows_it():
    checks = [
        ModelCheck("backorder_risk", True, ["prediction drift: PSI 0.900"], {"drift": {}}),
        ModelCheck("demand", False, [], {"skipped": "no champion registered"}),
    ]
    summary = monitoring_summary(checks, {"window": {"days": 28}}, {"column_psi": 0.2})
    assert summary["retrain"] == [
        {"model": "backorder_risk", "train_target": "risk", "reasons": ["prediction drift: PSI 0.900"]}
    ]
    assert summary["decision"] == "retrain backorder_risk"
    page = render_html(summary, "<html><body>evidently & co</body></html>")
    assert "prediction drift: PSI 0.900" in page
    assert 'srcdoc="&lt;html&gt;&lt;body&gt;evidently &amp; co' in page  # escaped once, for the attribute


def test_evidence_counts_distinct_logged_days_and_lines():
    log = _log([("O-1", 1, "2024-03-01T08:00", 1.0, 0.1), ("O-2", 1, "2024-03-01T17:00", 1.0, 0.1),
                ("O-3", 1, "2024-03-03T09:00", 1.0, 0.1), ("O-4", 1, "2024-03-03T23:00", 1.0, 0.1)])
    evidence = logged_evidence(logged_lines(log), MinimumWindow(days=2, rows=4))
    assert (evidence.days_seen, evidence.rows_seen) == (2, 4) and evidence.enough
    assert not logged_evidence(logged_lines(log), MinimumWindow(days=3, rows=4)).enough
    assert not logged_evidence(logged_lines(log), MinimumWindow(days=2, rows=5)).enough


def test_summary_and_page_say_not_enough_data_yet_in_the_first_days():
    evidence = {"days_seen": 1, "days_needed": 7, "rows_seen": 300, "rows_needed": 500}
    checks = [ModelCheck("backorder_risk", False, [], {"drift": {"verdict": NOT_ENOUGH_DATA, "evidence": evidence}})]
    summary = monitoring_summary(checks, {"window": {"days": 28}}, {"min_window_days": 7})
    assert summary["retrain"] == []
    assert summary["decision"] == f"no retraining needed; drift of backorder_risk: {NOT_ENOUGH_DATA}"
    [line] = drift_not_judged(summary)
    assert "1 of 7 days, 300 of 500 lines" in line
    assert line in render_html(summary, None)


def test_the_page_shows_the_planners_acceptance_rates_when_there_are_decisions():
    summary = monitoring_summary([], {"window": {"days": 28}}, {})
    assert "No planner decisions yet." in render_html(summary, None)
    rates = pd.DataFrame({"by": ["planner"], "group": ["key:<b>"], "decisions": [4], "acceptance_rate": [0.75]})
    page = render_html(summary, None, decision_rates=rates)
    assert "key:&lt;b&gt;" in page and "0.75" in page and "No planner decisions yet." not in page
