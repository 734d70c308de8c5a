"""``backorder exceptions scan`` on a simulated world: the nightly set is recorded once and sent."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from alert_helpers import SECRET
from typer.testing import CliRunner

from alerts.delivery import utc_now
from pipelines.cli import app
from pipelines.commands.exceptions import alert_desk, scan_inputs
from settings import load_settings


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("world")
    made = CliRunner().invoke(app, ["--data-dir", str(data), "simulate", "--skus", "30", "--locations", "2",
                                    "--suppliers", "4", "--days", "300", "--scenario", "supplier_disruption"])
    assert made.exit_code == 0, made.output
    summary = data / "reports" / "monitoring" / "summary.json"
    summary.parent.mkdir(parents=True)
    summary.write_text(json.dumps({"models": {
        "backorder_risk": {"retrain": True, "reasons": ["prediction drift: PSI 0.410"]},
        "demand": {"retrain": False, "reasons": []},
    }}))
    return data


@pytest.mark.slow
def test_the_nightly_scan_records_each_problem_once_and_notifies_subscribers(world, receiver, monkeypatch):
    monkeypatch.delenv("BACKORDER_CONFIG", raising=False)
    monkeypatch.setenv("BACKORDER_ALERTS__DELIVERY_BASE_DELAY_SECONDS", "0.1")  # the first try fails
    hook = receiver(1)
    desk = alert_desk(load_settings(data_dir=world))
    desk.subscriptions.add(hook.url, SECRET, utc_now())

    first = CliRunner().invoke(app, ["--data-dir", str(world), "exceptions", "scan"])
    assert first.exit_code == 0, first.output
    assert "model_retrain 1" in first.stdout and "po_late" in first.stdout
    # No lead_time champion in this world: the open POs were given their supplier's delays.
    notes = scan_inputs(load_settings(data_dir=world)).notes
    assert any(note.startswith("open POs' delays: supplier delay quantiles of") for note in notes)
    opened = desk.store.find(status="open")
    assert {e["kind"] for e in opened} >= {"model_retrain", "po_late", "supplier_delay_trend"}
    assert all(e["reason_codes"] and e["action"] and e["expected_effect"] for e in opened)

    again = CliRunner().invoke(app, ["--data-dir", str(world), "exceptions", "scan", "--no-deliver"])
    assert again.exit_code == 0, again.output
    assert f"opened 0, updated {len(opened)}" in again.stdout
    assert len(desk.store.find()) == len(opened)

    sent = CliRunner().invoke(app, ["--data-dir", str(world), "exceptions", "deliver", "--until-done",
                                    "--max-seconds", "5"])
    assert sent.exit_code == 0, sent.output
    delivered = [c for c in hook.calls() if c["status"] == 200]
    assert len(delivered) == len(opened) and all(c["verified"] for c in hook.calls())
    assert {json.loads(c["body"])["exception"]["id"] for c in delivered} == {e["id"] for e in opened}


def test_dead_letters_are_listed_and_requeued_from_the_command_line(tmp_path, monkeypatch):
    from alerts.detection import order_lines_at_risk

    monkeypatch.delenv("BACKORDER_CONFIG", raising=False)
    monkeypatch.setenv("BACKORDER_ALERTS__DELIVERY_ATTEMPTS", "1")
    settings = load_settings(data_dir=tmp_path)
    desk = alert_desk(settings)
    desk.subscriptions.add("http://127.0.0.1:9/hooks", SECRET, utc_now())
    scored = pd.DataFrame({"order_id": ["O1"], "line_id": "1", "sku_id": "A", "location_id": "DC1", "quantity": 10,
                           "backorder_probability": [0.9]})
    desk.record(order_lines_at_risk(scored, settings.alerts), utc_now())
    run = CliRunner()
    sent = run.invoke(app, ["--data-dir", str(tmp_path), "exceptions", "deliver"])
    assert sent.exit_code == 0 and "1 dead letters" in sent.stdout, sent.output
    [dead] = desk.subscriptions.deliveries("dead")
    listed = run.invoke(app, ["--data-dir", str(tmp_path), "exceptions", "dead-letters"])
    assert dead["id"] in listed.stdout and "ConnectError" in listed.stdout
    requeued = run.invoke(app, ["--data-dir", str(tmp_path), "exceptions", "redeliver", dead["id"]])
    assert requeued.exit_code == 0 and [d["id"] for d in desk.subscriptions.deliveries("pending")] == [dead["id"]]
    unknown = run.invoke(app, ["--data-dir", str(tmp_path), "exceptions", "redeliver", "nope"])
    assert unknown.exit_code == 2 and "no dead delivery nope" in unknown.output


@pytest.mark.slow
def test_a_scan_of_the_live_state_sees_an_asn_announcing_a_late_arrival(world, monkeypatch):
    from live.factory import open_live_state

    monkeypatch.delenv("BACKORDER_CONFIG", raising=False)
    run = CliRunner()
    seeded = run.invoke(app, ["--data-dir", str(world), "events", "seed"])
    assert seeded.exit_code == 0, seeded.output
    settings = load_settings(data_dir=world)
    as_of = pd.Timestamp(json.loads(seeded.stdout)["as_of"])
    flagged = {e["po_id"] for e in alert_desk(settings).store.find(kind="po_late") if e["status"] == "open"}
    state = open_live_state(settings)
    try:
        skus = pd.read_parquet(world / "canonical" / "skus.parquet", columns=["sku_id"])["sku_id"].tolist()
        open_pos = state.open_purchase_orders(skus)
        later = open_pos[(open_pos["promised_date"] > as_of + pd.Timedelta(days=3)) & ~open_pos["po_id"].isin(flagged)]
        po = later.iloc[0]
        late_eta = (po["promised_date"] + pd.Timedelta(days=9)).date().isoformat()
        applied = state.apply([{"event_id": "asn-late-1", "type": "asn_received",
                                "occurred_at": f"{as_of.date()}T10:00:00Z", "po_id": po["po_id"], "eta": late_eta,
                                "quantity": int(po["quantity"])}])
        assert applied.accepted == 1, applied
    finally:
        state.close()
    canonical = alert_desk(settings).store.find(kind="po_late")
    assert po["po_id"] not in {e["po_id"] for e in canonical if e["status"] in ("open", "acknowledged")}

    scanned = run.invoke(app, ["--data-dir", str(world), "exceptions", "scan", "--live", "--no-deliver"])
    assert scanned.exit_code == 0, scanned.output
    [late] = [e for e in alert_desk(settings).store.find(kind="po_late", status="open") if e["po_id"] == po["po_id"]]
    assert "asn_after_promise" in late["reason_codes"] and late["details"]["expected_delay_days"] == 9.0
    assert late["details"]["eta"] == late_eta
