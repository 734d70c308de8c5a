"""The workbench's decision log and the feedback table: outcomes, acceptance rates, the export."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from typer.testing import CliRunner

from alerts.decisions import DecisionLog, acceptance_rates, decision_table
from alerts.detection import order_lines_at_risk
from alerts.moves import Move
from alerts.store import ExceptionStore
from pipelines.cli import app
from pipelines.commands.exceptions import alert_desk
from settings import load_settings
from settings.sections import AlertsSettings

T0 = datetime(2026, 3, 2, 6)
TRANSFER = Move("transfer", "transfer 5 units", [{"event_id": "e1", "type": "transfer_shipped"}])
NONE = Move("none", "no stock changes")
SETTLE = timedelta(hours=36)


def _lines(*orders: str) -> pd.DataFrame:
    scored = pd.DataFrame({"order_id": list(orders), "line_id": "1", "sku_id": "A", "location_id": "DC1",
                           "quantity": 10, "backorder_probability": 0.9})
    return order_lines_at_risk(scored, AlertsSettings())


def test_outcomes_follow_whether_the_problem_came_back(engine):
    store, log = ExceptionStore(engine), DecisionLog(engine)
    opened = {e["order_id"]: e for e in store.record(_lines("O1", "O2", "O3"), T0).opened}
    decided = T0 + timedelta(hours=1)
    log.record(opened["O1"], "accept", TRANSFER, "key:a", "moved", decided, {"backorder_risk": "3"})
    log.record(opened["O2"], "reject", TRANSFER, "key:b", "stock is promised", decided, {"backorder_risk": "3"})
    log.record(opened["O3"], "snooze", NONE, "key:a", None, decided, {}, snoozed_until=T0 + timedelta(hours=5))
    for order in ("O1", "O2"):
        store.resolve(opened[order]["id"], "key:a", None, decided)
    assert log.snoozed(T0 + timedelta(hours=2)) == {opened["O3"]["id"]}
    assert log.snoozed(T0 + timedelta(hours=6)) == set()

    early = decision_table(engine, T0 + timedelta(hours=10), SETTLE)
    assert early["outcome"].isna().all()  # nothing known before the problem had time to come back
    store.record(_lines("O2"), T0 + timedelta(hours=30))  # the rejected problem is detected again
    table = decision_table(engine, T0 + timedelta(hours=50), SETTLE).set_index("decision")
    assert table.loc["accept", "outcome"] == "cleared"
    assert table.loc["accept", "events"][0]["type"] == "transfer_shipped"
    assert table.loc["reject", "outcome"] == "recurred" and table.loc["reject", "events"] == []
    assert table.loc["reject", "recurred_at"] == pd.Timestamp(T0 + timedelta(hours=30))
    assert pd.isna(table.loc["snooze", "outcome"]) and table.loc["accept", "model_versions"] == {"backorder_risk": "3"}

    rates = acceptance_rates(table.reset_index()).set_index(["by", "group"])
    assert rates.loc[("action_kind", "transfer"), "acceptance_rate"] == 0.5
    assert rates.loc[("action_kind", "transfer"), "recurred_after_accept"] == 0.0
    assert rates.loc[("planner", "key:b"), "recurred_after_reject"] == 1.0
    assert rates.loc[("planner", "key:a"), ["decisions", "accepted", "snoozed"]].tolist() == [2, 1, 1]


def test_a_bad_decision_is_refused_naming_the_field(engine):
    [exception] = ExceptionStore(engine).record(_lines("O1"), T0).opened
    try:
        DecisionLog(engine).record(exception, "maybe", NONE, "key:a", None, T0, {})
    except ValueError as exc:
        assert str(exc).startswith("decision:")
    else:
        raise AssertionError("an unknown decision was written")


def test_the_command_exports_the_decisions_and_prints_the_rates(tmp_path, monkeypatch):
    monkeypatch.delenv("BACKORDER_CONFIG", raising=False)
    desk = alert_desk(load_settings(data_dir=tmp_path))
    [exception] = desk.record(_lines("O1"), T0).opened
    DecisionLog(desk.store.engine).record(exception, "accept", TRANSFER, "key:a", "ok", T0, {"demand": "2"})
    out = tmp_path / "feedback" / "decisions.csv"
    done = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "exceptions", "decisions", "--out", str(out)])
    assert done.exit_code == 0, done.output
    exported = pd.read_csv(out)
    assert exported[["exception_id", "decision", "action_kind", "who", "outcome"]].iloc[0].tolist()[:4] == [
        exception["id"], "accept", "transfer", "key:a"]
    assert "acceptance_rate" in done.stdout and "wrote 1 decisions" in done.stdout
    bad = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "exceptions", "decisions", "--out", "x.txt"])
    assert bad.exit_code == 2


def test_the_monitoring_report_reads_the_rates_from_the_alert_database(tmp_path, monkeypatch):
    from pipelines.commands.monitor import decision_rates

    monkeypatch.delenv("BACKORDER_CONFIG", raising=False)
    settings = load_settings(data_dir=tmp_path)
    assert decision_rates(settings).empty
    desk = alert_desk(settings)
    [exception] = desk.record(_lines("O1"), T0).opened
    DecisionLog(desk.store.engine).record(exception, "reject", TRANSFER, "key:a", None, T0, {})
    rates = decision_rates(settings).set_index(["by", "group"])
    assert rates.loc[("planner", "key:a"), "rejected"] == 1 and rates.loc[("planner", "key:a"), "acceptance_rate"] == 0
