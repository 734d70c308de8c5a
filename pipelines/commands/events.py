"""``backorder events seed|consume|flush|compact``: fill the live state, feed it from the event
stream, keep its event log durably, turn the log into canonical tables.

``seed`` starts the live state from the canonical tables (latest snapshot, open PO lines);
``consume`` applies the Redis event stream (``live.stream``) until stopped; ``flush`` moves the
Redis event log to files (``live.event_archive``); ``compact`` replays
the event log into ``purchase_orders``, ``asn_events``, ``order_lines`` and
``inventory_snapshots`` (``live.compaction``), written as Parquet like the canonical tables.
"""

from __future__ import annotations

import json
import socket
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from pipelines.commands.settings_options import CONFIG_OPTION, command_settings

app = typer.Typer(
    help="The live state: seed it, feed it events, flush and compact its event log.", no_args_is_help=True
)


@app.command("seed")
def seed(
    as_of: Annotated[date | None, typer.Option(help="Date of the stock (default: the last snapshot).")] = None,
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Start the live state from the canonical tables: each SKU-location's latest snapshot and the
    PO lines still open, as of a date."""
    import pandas as pd

    from live.canonical import canonical_seed
    from live.factory import open_live_state
    from pipelines.tables import require_canonical

    settings = command_settings(config)
    require_canonical(settings.canonical_dir, ("inventory_snapshots", "purchase_orders"))
    stock_dates = pd.read_parquet(settings.canonical_dir / "inventory_snapshots.parquet", columns=["snapshot_date"])
    moment = pd.Timestamp(as_of) if as_of else pd.Timestamp(stock_dates["snapshot_date"].max()).normalize()
    stock, open_pos = canonical_seed(settings.canonical_dir, moment)
    state = open_live_state(settings)
    try:
        state.seed(stock, open_pos, moment)
    finally:
        state.close()
    typer.echo(json.dumps({"as_of": str(moment.date()), "positions": len(stock), "open_po_lines": len(open_pos),
                           "store": settings.live_store}))


@app.command("consume")
def consume(
    consumer: Annotated[str | None, typer.Option(help="Consumer name (default: the host name); keep it "
                                                      "across restarts to resume its pending entries.")] = None,
    until_idle: Annotated[bool, typer.Option(help="Stop when the stream has nothing more to read.")] = False,
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Apply the events of the Redis stream to the live state (each once), acknowledging each batch
    after it is applied; refused events go to the dead-letter stream with the reason. What each
    batch touched is re-checked for exceptions as the service does for ``POST /v1/events``."""
    import redis

    from live.factory import open_live_state
    from live.stream import StreamConsumer, StreamNames
    from serving.stream_alerts import stream_alert_check

    settings = command_settings(config)
    live = settings.live
    client = redis.Redis.from_url(live.redis_url)
    state = open_live_state(settings)
    notes: list[str] = []
    recheck = stream_alert_check(settings, state, notes=notes)
    for note in notes:
        typer.echo(f"exception re-check: {note}", err=True)
    names = StreamNames(live.event_stream, live.consumer_group, live.dead_letter_stream)
    worker = StreamConsumer(client, state, names, consumer or socket.gethostname(), live.batch_size,
                            live.claim_idle_ms, recheck)
    try:
        stats = worker.run(until_idle=until_idle)
    finally:
        state.close()
        client.close()
    typer.echo(json.dumps(stats.__dict__))


@app.command("flush")
def flush(config: Path | None = CONFIG_OPTION) -> None:
    """Move the event log from Redis to a file of <data>/event_log (run it periodically; the
    SQLite store's log is already durable)."""
    from live.factory import open_live_state

    settings = command_settings(config)
    state = open_live_state(settings)
    try:
        moved = state.flush_log(settings.event_archive_dir)
    finally:
        state.close()
    typer.echo(json.dumps({"events": moved, "folder": str(settings.event_archive_dir)}))


@app.command("compact")
def compact(
    out: Annotated[Path | None, typer.Option(help="Folder for <table>.parquet (default: <data>/compacted).")] = None,
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Replay the event log (flushed files, then what the store still holds) into canonical tables
    (purchase_orders, asn_events, order_lines, inventory_snapshots by day)."""
    from live.compaction import compact as compact_log
    from live.event_archive import once_each, read_archive
    from live.factory import open_live_state
    from pipelines.tables import write_canonical_tables

    settings = command_settings(config)
    state = open_live_state(settings)
    try:
        events = once_each(read_archive(settings.event_archive_dir) + state.applied_events())
    finally:
        state.close()
    tables = compact_log(events)
    folder = out or settings.compacted_dir
    write_canonical_tables(tables, folder)
    typer.echo(json.dumps({"events": len(events), "folder": str(folder), **{n: len(t) for n, t in tables.items()}}))
