"""``backorder events seed|consume|compact`` from the command line."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from live.stream import produce
from live.world_events import world_events
from pipelines.cli import app
from pipelines.tables import write_canonical_tables
from simulation import SimulationConfig, simulate
from tests.live.conftest import REDIS_URL, event, redis_or_skip


def _world():
    return simulate(SimulationConfig(seed=3, n_skus=4, n_locations=2, n_suppliers=2, n_days=40, n_customers=20)).tables


def test_seed_then_compact_on_the_embedded_store(settings):
    world = _world()
    write_canonical_tables(world, settings.canonical_dir)
    runner = CliRunner()
    seeded = runner.invoke(app, ["--data-dir", str(settings.data_dir), "events", "seed"])
    assert seeded.exit_code == 0, seeded.output
    summary = json.loads(seeded.output)
    last = world["inventory_snapshots"]["snapshot_date"].max()
    assert summary["as_of"] == str(last.date()) and summary["store"] == "sqlite"
    assert summary["positions"] == len(world["inventory_snapshots"].query("snapshot_date == @last"))

    from live.sqlite_state import SqliteLiveState

    state = SqliteLiveState(settings.live_state_path)
    state.apply(world_events(world))
    state.close()
    compacted = runner.invoke(app, ["--data-dir", str(settings.data_dir), "events", "compact"])
    assert compacted.exit_code == 0, compacted.output
    orders = pd.read_parquet(settings.data_dir / "compacted" / "order_lines.parquet")
    assert len(orders) == len(world["order_lines"])


def test_consume_applies_the_stream_to_the_configured_store(settings, redis_prefix, monkeypatch):
    client = redis_or_skip()
    stream = f"{redis_prefix}:events"
    produce(client, stream, [event("stock_counted", sku_id="S", location_id="L", on_hand=4),
                             event("stock_counted", sku_id="S", location_id="L", on_hand=-4)])
    for name, value in {"STORE": "redis", "REDIS_URL": REDIS_URL, "KEY_PREFIX": redis_prefix,
                        "EVENT_STREAM": stream, "DEAD_LETTER_STREAM": f"{redis_prefix}:dead"}.items():
        monkeypatch.setenv(f"BACKORDER_LIVE__{name}", value)
    result = CliRunner().invoke(app, ["events", "consume", "--until-idle", "--consumer", "t1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"read": 2, "applied": 1, "duplicates": 0, "dead_lettered": 1}
    client.close()


def test_the_redis_log_flushed_to_files_still_compacts_whole(settings, redis_prefix, monkeypatch):
    world = _world()
    events = world_events(world)
    for name, value in {"STORE": "redis", "REDIS_URL": REDIS_URL, "KEY_PREFIX": redis_prefix}.items():
        monkeypatch.setenv(f"BACKORDER_LIVE__{name}", value)
    from live.redis_state import RedisLiveState

    state = RedisLiveState(REDIS_URL, redis_prefix)
    half = len(events) // 2
    state.apply(events[:half])
    runner = CliRunner()
    flushed = runner.invoke(app, ["--data-dir", str(settings.data_dir), "events", "flush"])
    assert json.loads(flushed.output)["events"] == half
    assert state.applied_events() == []  # trimmed from Redis once on disk
    state.apply(events[half:])
    compacted = runner.invoke(app, ["--data-dir", str(settings.data_dir), "events", "compact"])
    assert compacted.exit_code == 0, compacted.output
    assert json.loads(compacted.output)["events"] == len(events)
    orders = pd.read_parquet(settings.data_dir / "compacted" / "order_lines.parquet")
    assert len(orders) == len(world["order_lines"])
    state.close()


def test_an_archive_written_twice_keeps_each_event_once(tmp_path):
    from live.event_archive import once_each, read_archive, write_archive_file

    events = [event("stock_counted", sku_id="S", location_id="L", on_hand=n) for n in range(3)]
    write_archive_file(tmp_path, "000000000000001-000000", events[:2])
    write_archive_file(tmp_path, "000000000000001-000001", events)  # a flush cut short, redone
    assert once_each(read_archive(tmp_path)) == events
