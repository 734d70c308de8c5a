"""Events applied by ``backorder events consume`` are re-checked for exceptions as the service
re-checks ``POST /v1/events``: an event from the stream that empties a SKU-location opens a
stock-out exception, and a recount from the stream resolves it."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from alerts.desk import AlertDesk
from live.stream import produce
from pipelines.cli import app
from pipelines.tables import write_canonical_tables
from settings import load_settings
from simulation import SimulationConfig, simulate
from tests.live.conftest import REDIS_URL, event, redis_or_skip


def _busiest_sku_location(tables: dict[str, pd.DataFrame]) -> tuple[str, str]:
    """The SKU-location with the most units ordered over the world's last 28 days."""
    lines = tables["order_lines"].merge(tables["orders"][["order_id", "order_time"]], on="order_id")
    recent = lines[pd.to_datetime(lines["order_time"]) > pd.to_datetime(lines["order_time"]).max() - pd.Timedelta(
        days=28)]
    sku, location = recent.groupby(["sku_id", "location_id"])["quantity"].sum().idxmax()
    return str(sku), str(location)


@pytest.mark.slow
def test_an_event_from_the_stream_that_empties_a_sku_location_opens_a_stockout(settings, redis_prefix, monkeypatch):
    client = redis_or_skip()
    world = simulate(SimulationConfig(seed=3, n_skus=4, n_locations=2, n_suppliers=2, n_days=60,
                                      n_customers=20)).tables
    write_canonical_tables(world, settings.canonical_dir)
    stream = f"{redis_prefix}:events"
    for name, value in {"REDIS_URL": REDIS_URL, "EVENT_STREAM": stream, "DEAD_LETTER_STREAM": f"{redis_prefix}:dead",
                        "CONSUMER_GROUP": f"{redis_prefix}:group"}.items():
        monkeypatch.setenv(f"BACKORDER_LIVE__{name}", value)
    monkeypatch.setenv("BACKORDER_ALERTS__LIVE_CHECKS", "true")
    runner = CliRunner()
    data = ["--data-dir", str(settings.data_dir)]
    assert runner.invoke(app, [*data, "events", "seed"]).exit_code == 0
    sku, location = _busiest_sku_location(world)
    desk = AlertDesk.from_settings(load_settings(data_dir=settings.data_dir))

    produce(client, stream, [event("stock_counted", sku_id=sku, location_id=location, on_hand=0)])
    consumed = runner.invoke(app, [*data, "events", "consume", "--until-idle", "--consumer", "c1"])
    assert consumed.exit_code == 0, consumed.output
    assert json.loads(consumed.stdout)["applied"] == 1, consumed.stderr
    [opened] = desk.store.find(status="open", kind="stockout_within_lead_time")
    assert (opened["sku_id"], opened["location_id"]) == (sku, location)
    assert opened["details"]["available"] == 0

    produce(client, stream, [event("stock_counted", sku_id=sku, location_id=location, on_hand=100_000)])
    recounted = runner.invoke(app, [*data, "events", "consume", "--until-idle", "--consumer", "c1"])
    assert recounted.exit_code == 0, recounted.output
    assert desk.store.find(status="open", kind="stockout_within_lead_time") == []
    [resolved] = desk.store.find(status="resolved")
    assert resolved["id"] == opened["id"] and resolved["resolved_by"] == "system:live"
    client.close()
