"""``backorder exceptions``: the nightly exception scan and the webhook deliveries.

``scan`` reads the canonical tables (stock, open POs with their ASNs, receipts, orders), the
champions when registered (``lead_time`` for PO delay quantiles, ``demand`` for the daily
forecast), the as-of demand forecasts, the prediction log and the monitoring summary; detects
every kind (``alerts.scan``), records them in the alert database, expires what no scan sees any
more and makes one delivery pass. ``deliver`` sends what is pending (retries included),
``dead-letters`` lists the deliveries that failed their last try and ``redeliver`` queues them
again. ``decisions`` exports the planners' decisions with their outcomes (``alerts.decisions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from pipelines.commands.settings_options import CONFIG_OPTION, command_settings

if TYPE_CHECKING:
    import pandas as pd

    from alerts.delivery import DeliveryPass
    from alerts.desk import AlertDesk
    from alerts.scan import ScanInputs
    from settings import Settings

app = typer.Typer(help="Exceptions for planners: the scan and its webhook deliveries.", no_args_is_help=True)

REQUIRED_TABLES = ("inventory_snapshots", "purchase_orders", "sku_suppliers", "orders", "order_lines")
DEMAND_MODEL, LEAD_TIME_MODEL = "demand", "lead_time"


@dataclass(frozen=True)
class ScanSummary:
    """What one scan found per kind, what it did to the store, and its delivery pass."""

    as_of: Any
    found: dict[str, int]
    opened: int
    updated: int
    escalated: int
    expired: int
    queued: int
    delivery: DeliveryPass | None
    notes: list[str]


def alert_desk(settings: Settings) -> AlertDesk:
    """The alert desk of ``settings``, with the Redis stream when ``alerts.redis_stream`` is set."""
    from alerts.desk import AlertDesk

    return AlertDesk.from_settings(settings)


def scan_inputs(settings: Settings, as_of: pd.Timestamp | None = None) -> ScanInputs:
    """Everything the scan looks at, as of the last inventory snapshot unless ``as_of`` is given."""
    import pandas as pd

    from alerts.scan import ScanInputs
    from features.recent_demand import daily_actuals
    from pipelines.tables import read_canonical_tables, require_canonical
    from serving.live_alerts import primary_lead_times
    from serving.supply import last_snapshot_date, load_canonical_supply

    require_canonical(settings.canonical_dir, REQUIRED_TABLES)
    as_of = pd.Timestamp(as_of or last_snapshot_date(settings.canonical_dir)).normalize()
    notes: list[str] = []
    models = _champions(settings, notes)
    supply = load_canonical_supply(settings.canonical_dir, as_of, models.get(LEAD_TIME_MODEL))
    if LEAD_TIME_MODEL not in models:
        notes.append(f"open POs' delays: {supply.delay_source}")
    positions = supply.stock.rename(columns={"allocated": "reserved"}).assign(in_transit=0.0)
    open_pos = supply.inbound.rename(columns={"asn_eta": "eta"})
    read = read_canonical_tables(
        settings.canonical_dir, ("sku_suppliers", "purchase_orders", "orders", "order_lines"),
        {"orders": ["order_id", "order_time"], "order_lines": ["order_id", "sku_id", "location_id", "quantity"]},
    )
    lead_times = positions[["sku_id", "location_id"]].merge(primary_lead_times(read["sku_suppliers"]), on="sku_id")
    actual = daily_actuals(read["order_lines"], read["orders"], as_of)
    horizon = int(lead_times["lead_time_days"].max()) if len(lead_times) else 0
    demand = _demand(settings, models.get(DEMAND_MODEL), actual, positions, as_of, horizon, notes)
    return ScanInputs(
        as_of=as_of,
        positions=positions,
        open_pos=open_pos,
        demand=demand,
        lead_times=lead_times,
        scored_lines=_scored_lines(settings, notes),
        receipts=read["purchase_orders"][["supplier_id", "promised_date", "received_date"]],
        forecasts=_forecasts_against_actuals(settings, actual, as_of, notes),
        verdicts=_verdicts(settings, notes),
        notes=notes,
    )


def run_scan(settings: Settings, deliver: bool = True, as_of: pd.Timestamp | None = None,
             now: datetime | None = None, live: bool = False) -> ScanSummary:
    """Scan, record, expire, and (``deliver``) make one delivery pass; ``live``: stock and open POs
    from the live state instead of the canonical tables."""
    from alerts.delivery import utc_now
    from alerts.scan import detect_all, with_live_supply
    from live.factory import open_live_state

    inputs = scan_inputs(settings, as_of)
    if live:
        state = open_live_state(settings)
        try:
            skus = sorted(inputs.positions["sku_id"].unique())
            inputs = with_live_supply(inputs, state.positions(skus), state.open_purchase_orders(skus))
        finally:
            state.close()
    result = detect_all(inputs, settings.alerts)
    desk = alert_desk(settings)
    now = now or utc_now()
    recorded = desk.record(result.exceptions, now)
    expired = desk.expire(now)
    queued = len(desk.subscriptions.deliveries("pending"))
    delivery = desk.deliverer().deliver_due() if deliver else None
    return ScanSummary(inputs.as_of, result.counts(), len(recorded.opened), len(recorded.updated),
                       len(recorded.escalated), len(expired), queued, delivery, result.notes)


def _champions(settings: Settings, notes: list[str]) -> dict[str, Any]:
    """The demand and lead-time champions that are registered and load; a note for each other."""
    import mlflow

    from training.tracking import alias_version, load_alias

    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.tracking_uri)
    models = {}
    for name in (DEMAND_MODEL, LEAD_TIME_MODEL):
        try:
            if alias_version(name) is None:
                notes.append(f"no {name} champion registered")
            else:
                models[name] = load_alias(name)
        except Exception as exc:  # noted: the scan checks what it can without the model
            notes.append(f"{name} champion not loaded: {exc}")
    return models


def _demand(settings: Settings, model: Any | None, actual: pd.DataFrame, positions: pd.DataFrame,
            as_of: pd.Timestamp, horizon: int, notes: list[str]) -> pd.DataFrame:
    """Daily p50 and p90 demand after ``as_of``: the demand champion's forecast, and the recent daily
    mean past its horizon or without it (``alerts.demand.forecast_then_recent``)."""
    import pandas as pd

    from alerts.demand import forecast_then_recent, recent_mean_demand
    from contracts.keys import SERIES_SEPARATOR
    from features.recent_demand import RECENT_DAYS
    from features.timeseries import ID, TIME
    from serving.forecast import load_forecaster

    recent = recent_mean_demand(actual, positions, as_of, horizon)
    if model is not None:
        try:
            table = load_forecaster(settings.canonical_dir, model).table
            keys = table[ID].str.split(SERIES_SEPARATOR, n=1, expand=True)
            forecast = pd.DataFrame({"sku_id": keys[0], "location_id": keys[1], "ds": table[TIME],
                                     "p50": table["p50"], "p90": table["p90"]})
            notes.append(f"stockout_within_lead_time: past the demand champion's horizon, the mean daily "
                         f"demand of the last {RECENT_DAYS} days")
            return forecast_then_recent(forecast, recent, settings.alerts.stockout_recent_floor)
        except Exception as exc:  # noted: the recent mean stands in
            notes.append(f"stockout_within_lead_time: the demand champion's forecast failed ({exc}); "
                         "the recent daily mean stands in")
    else:
        notes.append(f"stockout_within_lead_time: the mean daily demand of the last {RECENT_DAYS} days stands in")
    return recent


def _scored_lines(settings: Settings, notes: list[str]) -> pd.DataFrame | None:
    """The last score of each order line logged within ``alerts.expire_after_hours`` of the newest."""
    import pandas as pd

    from serving.prediction_log import read_prediction_log

    log = read_prediction_log(settings.prediction_log_dir)
    if log.empty:
        notes.append("order_line_at_risk: the prediction log is empty")
        return None
    recent = log[log["logged_at"] >= log["logged_at"].max() - pd.Timedelta(hours=settings.alerts.expire_after_hours)]
    recent = recent.drop_duplicates(["order_id", "line_id"], keep="last").reset_index(drop=True)
    outputs, inputs = pd.json_normalize(recent["outputs"].tolist()), pd.json_normalize(recent["inputs"].tolist())
    return pd.DataFrame({
        **{c: recent[c] for c in ("order_id", "line_id", "sku_id", "location_id")},
        "quantity": inputs["quantity"],
        "backorder_probability": outputs["backorder_probability"],
        "promise_date": outputs.get("promise_date"),
        "action": outputs.get("action.action"),
        "expected_effect": outputs.get("action.expected_effect"),
    })


def _forecasts_against_actuals(settings: Settings, actual: pd.DataFrame, as_of: pd.Timestamp,
                               notes: list[str]) -> pd.DataFrame | None:
    """The as-of demand forecasts of the ``RECENT_DAYS`` up to ``as_of`` beside what was ordered."""
    import pandas as pd

    from features.recent_demand import RECENT_DAYS

    path = settings.asof_dir / "demand_forecasts.parquet"
    if not path.exists():
        notes.append("forecast_bias: no as-of demand forecasts (run `backorder features asof`)")
        return None
    forecasts = pd.read_parquet(path, columns=["sku_id", "location_id", "ds", "forecast"])
    ds = pd.to_datetime(forecasts["ds"])
    window = forecasts[(ds > as_of - pd.Timedelta(days=RECENT_DAYS)) & (ds <= as_of)].assign(ds=ds)
    joined = window.merge(actual, on=["sku_id", "location_id", "ds"], how="left")
    return joined.fillna({"actual": 0.0}).astype({"forecast": "float64", "actual": "float64"})


def _verdicts(settings: Settings, notes: list[str]) -> pd.DataFrame | None:
    """Per model, whether ``backorder monitor`` said to retrain it (its last ``summary.json``)."""
    import json

    import pandas as pd

    path = settings.reports_dir / "monitoring" / "summary.json"
    if not path.exists():
        notes.append(f"model_retrain: no monitoring summary at {path}")
        return None
    models = json.loads(path.read_text()).get("models", {})
    return pd.DataFrame({
        "model": list(models),
        "retrain": [bool(m.get("retrain")) for m in models.values()],
        "reasons": [list(m.get("reasons", [])) for m in models.values()],
    })


@app.command("scan")
def scan(
    as_of: str | None = typer.Option(None, help="Date to scan as of (default: the last inventory snapshot)."),
    deliver: bool = typer.Option(True, "--deliver/--no-deliver", help="Make one webhook delivery pass after."),
    live: bool = typer.Option(
        False, "--live/--canonical", help="Stock and open POs from the live state (backorder events) or the tables."
    ),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Detect every exception kind, record them (one per problem), expire stale ones, notify."""
    summary = run_scan(command_settings(config), deliver, as_of, live=live)
    for note in summary.notes:
        typer.echo(f"note: {note}", err=True)
    found = ", ".join(f"{k} {v}" for k, v in summary.found.items()) or "none"
    typer.echo(f"as of {summary.as_of.date()}: found {found}")
    typer.echo(f"opened {summary.opened}, updated {summary.updated} ({summary.escalated} escalated), "
               f"expired {summary.expired}; deliveries pending {summary.queued}")
    if summary.delivery is not None:
        typer.echo(_describe_pass(summary.delivery))


@app.command("deliver")
def deliver(
    until_done: bool = typer.Option(
        False, "--until-done", help="Keep retrying until nothing is pending (or --max-seconds)."
    ),
    follow: bool = typer.Option(
        False, "--follow", help="Run as a delivery worker, sending what comes due every --poll-seconds until stopped."
    ),
    max_seconds: float = typer.Option(3600.0, min=0, help="Longest a --until-done run lasts."),
    poll_seconds: float = typer.Option(1.0, min=0.01, help="Pause between the passes of --follow."),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Send the pending webhook deliveries that are due (retries with backoff; dead letters after)."""
    from alerts.delivery import DeliveryWorker

    deliverer = alert_desk(command_settings(config)).deliverer()
    if follow:
        worker = DeliveryWorker(deliverer, poll_seconds)
        worker.start()
        try:
            worker.join()
        except KeyboardInterrupt:
            worker.stop()
        return
    done = deliverer.deliver_until_done(max_seconds) if until_done else deliverer.deliver_due()
    typer.echo(_describe_pass(done))


@app.command("dead-letters")
def dead_letters(config: Path | None = CONFIG_OPTION) -> None:
    """The deliveries that failed their last try: id, event, URL, tries and last error."""
    for d in alert_desk(command_settings(config)).subscriptions.deliveries("dead"):
        typer.echo(f"{d['id']}  {d['event_type']}  {d['url']}  tries {d['attempts']}  {d['last_error']}")


@app.command("redeliver")
def redeliver(
    delivery_ids: list[str] = typer.Argument(..., help="Ids of dead deliveries (see dead-letters)."),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Put dead deliveries back in the queue with fresh tries (same body and Idempotency-Key)."""
    from alerts.delivery import utc_now

    subscriptions = alert_desk(command_settings(config)).subscriptions
    unknown = [d for d in delivery_ids if not subscriptions.redeliver(d, utc_now())]
    typer.echo(f"requeued {len(delivery_ids) - len(unknown)} deliveries")
    if unknown:
        typer.echo(f"error: no dead delivery {', '.join(unknown)}", err=True)
        raise typer.Exit(code=2)


@app.command("decisions")
def decisions(
    out: Path = typer.Option(..., "--out", help="File to write, .csv or .parquet: one row per decision."),
    settle_hours: float | None = typer.Option(
        None, min=0, help="Hours after which a problem not detected again counts as cleared "
                          "(default: alerts.expire_after_hours)."
    ),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Export every workbench decision with its outcome; print the acceptance rates."""
    from datetime import timedelta

    from alerts.decisions import acceptance_rates, decision_table
    from alerts.delivery import utc_now

    if out.suffix not in (".csv", ".parquet"):
        raise typer.BadParameter(f"expected a .csv or .parquet file, got {out.name!r}", param_hint="--out")
    settings = command_settings(config)
    settle = timedelta(hours=settings.alerts.expire_after_hours if settle_hours is None else settle_hours)
    table = decision_table(alert_desk(settings).store.engine, utc_now(), settle)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        table.to_csv(out, index=False)
    else:
        table.astype({"events": str, "model_versions": str}).to_parquet(out, index=False)
    typer.echo(f"wrote {len(table)} decisions to {out}")
    typer.echo(acceptance_rates(table).to_string(index=False))


def _describe_pass(done: DeliveryPass) -> str:
    return (f"deliveries: {done.delivered} delivered, {done.retried} to retry, {done.dead} dead letters, "
            f"{done.deferred} held by the rate limit")
