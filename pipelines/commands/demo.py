"""``backorder demo``: the whole loop once on the embedded defaults.

simulate → as-of model outputs → features (build, Feast apply, materialize) → train the four
models → promote → score recent orders through the service in-process (fills the prediction log)
→ monitor → planner report. Every step is the code behind its own ``backorder`` command; steps
skip work whose data and recipe are unchanged, so a re-run after a failure does not redo finished
work.

The as-of step comes before the feature build because the risk models' features need its outputs;
it needs no registered model: it refits the demand and lead-time recipes on the canonical tables
as of each date (the registered demand and lead-time models also train from canonical tables, not
from the feature store).
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from pipelines.commands.settings_options import CONFIG_OPTION, command_settings

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from pipelines.commands.monitor import MonitorVerdict
    from pipelines.commands.train import TrainResult
    from pipelines.live_replay import ReplayComparison
    from settings import Settings
    from training.promotion import PromotionDecision

DEMO_OVERRIDE = "the demo's scoring service needs a champion of this model"
# What serves in the place of a model without a champion (and the service, alerts and report run):
# open POs get their supplier's delay quantiles (serving.supply.po_delay_model), demand is the
# recent mean (serving.forecast.recent_demand_forecaster, alerts.demand, the report's history fallback).
SERVED_WITHOUT_CHAMPION = {"lead_time": "the supplier delay quantiles", "demand": "the recent demand (28-day mean)"}
STEPS = ("simulate", "asof", "features", "train", "promote", "score", "monitor", "report")
LIVE_REPLAY_TABLES = ("orders", "order_lines", "inventory_snapshots", "purchase_orders", "asn_events")
EXAMPLE_REQUEST = Path(__file__).resolve().parents[2] / "examples" / "score_request.json"


class DemoStepFailed(RuntimeError):
    """A step of the loop could not run; the message names the step and the cause."""


@dataclass(frozen=True)
class DemoOutcome:
    """What one run of the loop trained, promoted, found when monitoring and where the report is."""

    trained: tuple[TrainResult, ...]
    promotions: tuple[PromotionDecision, ...]
    monitoring: MonitorVerdict
    report: Path
    seconds: float
    replay: ReplayComparison


def _asof(settings: Settings, say: Callable[[str], None]) -> None:
    from pipelines.asof_outputs import describe_asof, write_asof_outputs

    say(describe_asof(write_asof_outputs(settings)))


def _features(settings: Settings, say: Callable[[str], None]) -> None:
    from features.feature_store import apply_definitions  # Feast imports take seconds: only here
    from pipelines.commands.features import materialize_latest, write_feature_tables

    rows = write_feature_tables(settings, horizon=14, forecasts=None)
    say("feature tables: " + ", ".join(f"{name} {n:,}" for name, n in rows.items()))
    store = apply_definitions(settings)
    say(f"Feast registry: {len(store.list_feature_views())} feature views ({settings.online_store} online store)")
    end = materialize_latest(settings)
    say(f"online store loaded up to {end:%Y-%m-%d}")


def _train(settings: Settings, say: Callable[[str], None]) -> tuple[TrainResult, ...]:
    from pipelines.commands.train import MODEL_OF, describe_training, train_model

    results = []
    for name in MODEL_OF:
        results.append(train_model(settings, name))
        say(describe_training(results[-1]))
    return tuple(results)


def _promote(settings: Settings, say: Callable[[str], None]) -> tuple[PromotionDecision, ...]:
    from pipelines.commands.promote import describe_decision, promote_model
    from pipelines.commands.train import MODEL_OF

    decisions = []
    for model in MODEL_OF.values():
        decision = promote_model(settings, model)
        say(describe_decision(decision))
        if not decision.promoted and decision.champion_version is None:
            if model in SERVED_WITHOUT_CHAMPION:
                say(f"      {model} does not pass the gate; the service uses {SERVED_WITHOUT_CHAMPION[model]} instead")
            else:
                # The service cannot start without this champion: the demo serves the challenger
                # anyway, says so, and records the override in the registry.
                say(f"      {model} does not pass the gate; the demo serves it anyway (override recorded)")
                decision = promote_model(settings, model, force_reason=DEMO_OVERRIDE, forced_by="backorder demo")
        decisions.append(decision)
    return tuple(decisions)


def _with_replay_key(settings: Settings) -> tuple[Settings, str]:
    """The settings the replay serves with and an ``oms`` key for its requests: the development key
    when accepted, else a one-off random key added (hashed) for this replay only, since the settings
    hold only hashes of their keys."""
    from serving.auth import DEV_KEY
    from serving.key_hashing import hash_key, new_key
    from settings.sections import HashedApiKey

    if settings.allow_dev_key:
        return settings, DEV_KEY
    key = new_key()
    keys = {**settings.api_keys, "demo-replay": HashedApiKey(hash=hash_key(key), roles=["oms"])}
    return settings.model_copy(update={"api_keys": keys}), key


def _score(
    settings: Settings, say: Callable[[str], None], progress: Progress, replay_days: int
) -> ReplayComparison:
    """Serve the ``replay_days`` after the serving date as production would, then again on
    start-of-day snapshots, and measure both on the same lines.

    The serving date lies ``2 * replay_days`` before the data ends, inside the models' held-out
    test period, so the replayed orders were never used to fit them and their outcomes are in the
    tables by the end. Live: the state is seeded once from the serving date's snapshot, then the
    period's events and orders (scored with ``reserve``) are posted in time order
    (``pipelines.live_replay``); this fills the prediction log. Snapshot: before each day the
    state is reseeded from the previous day's snapshot and the day's orders are scored without
    events (its prediction log goes to a scratch folder). Each day the online store is
    materialized up to that day first. Afterwards the online store is brought up to the end for
    ``make serve``.
    """
    import tempfile

    import pandas as pd

    from live.canonical import canonical_seed
    from pipelines.commands.features import materialize_latest
    from pipelines.live_replay import compare_replays, describe_comparison, replay_stream, run_stream
    from pipelines.oms_replay import SCORED_COLUMNS, daily_requests, replay
    from pipelines.tables import read_canonical_tables
    from serving.prediction_log import PredictionLog
    from serving.registry import mlflow_loader
    from serving.runtime import Runtime, build_runtime, production_components, reseed_live_state
    from serving.service import RiskService, app, in_process_app

    tables = read_canonical_tables(settings.canonical_dir, LIVE_REPLAY_TABLES)
    data_end = pd.Timestamp(tables["inventory_snapshots"]["snapshot_date"].max()).normalize()
    serving_day = data_end - pd.Timedelta(days=2 * replay_days)
    requests = daily_requests(tables["orders"], tables["order_lines"], serving_day, replay_days)
    stream = replay_stream(tables, serving_day, replay_days)
    n_orders = sum(map(len, requests.values()))
    say(f"replaying {n_orders:,} orders and {sum(len(r.body.get('events', ())) for r in stream):,} events placed "
        f"{serving_day + pd.Timedelta(days=1):%Y-%m-%d} .. {serving_day + pd.Timedelta(days=replay_days):%Y-%m-%d} "
        "(held-out period)")
    settings, key = _with_replay_key(settings)
    registry = mlflow_loader(settings.tracking_uri, settings.artifact_root)
    models: dict[tuple[str, str], Any] = {}

    def loader(name: str, alias: str) -> Any:  # the champions load once, not once per day
        if (name, alias) not in models:
            models[name, alias] = registry(name, alias)
        return models[name, alias]

    clock = [serving_day + pd.Timedelta(days=1)]

    def runtime_on(day: pd.Timestamp, live_clock: bool = False) -> Runtime:
        materialize_latest(settings, day.to_pydatetime(), days=replay_days + 1, rewind=True)
        as_of = settings.model_copy(update={"serving_as_of": (day - pd.Timedelta(days=1)).date()})
        components = production_components(as_of, loader=loader, reseed_live=True)  # stock as of that day
        runtime = build_runtime(as_of, components, today=(lambda: clock[0]) if live_clock else (lambda: day))
        if not runtime.ready:
            raise DemoStepFailed(f"the service is not ready on {day:%Y-%m-%d}: {runtime.readiness()}")
        return runtime

    first = runtime_on(clock[0], live_clock=True)
    if first.components.live is None:
        raise DemoStepFailed(f"the live replay needs the live state: {'; '.join(first.components.notes)}")
    stock, open_pos = canonical_seed(settings.canonical_dir, serving_day)  # the stream confirms the open lines
    first.components.live.seed(stock.assign(allocated=0.0), open_pos, serving_day)
    service_factory = RiskService.inner.runtime_factory
    RiskService.inner.runtime_factory = staticmethod(lambda: first)  # the service starts on this runtime
    headers = {"Authorization": f"Bearer {key}"}
    with tempfile.TemporaryDirectory() as scratch:
        try:
            with _in_process_client(in_process_app()) as client:

                def post(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
                    response = client.post(path, json=body, headers=headers)
                    return response.status_code, response.json()

                def live_post(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
                    progress.advance(live_task)
                    return post(path, body)

                def live_day(day: pd.Timestamp) -> None:
                    if day != clock[0]:
                        materialize_latest(settings, day.to_pydatetime(), days=replay_days + 1)
                        clock[0] = day

                def snapshot_day(day: pd.Timestamp) -> None:  # its prediction log is thrown away
                    app.state.runtime.close()
                    app.state.runtime = runtime_on(day)
                    app.state.runtime.log.close()
                    app.state.runtime.log = PredictionLog(Path(scratch))

                _score_example(post, say, set(tables["inventory_snapshots"]["sku_id"].unique()))
                live_task = progress.add_task("  live replay (requests)", total=len(stream))
                live_lines, problems = run_stream(live_post, stream, live_day)
                snapshot_task = progress.add_task("  snapshot replay (orders)", total=n_orders)
                outcome = replay(post, requests, snapshot_day, on_batch=lambda n: progress.advance(snapshot_task, n))
        finally:
            RiskService.inner.runtime_factory = service_factory
            app.state.runtime.log.close()
    say(f"live replay: scored {len(live_lines):,} lines with reserve; prediction log in {settings.prediction_log_dir}")
    for problem in [*problems, *outcome.rejected][:20]:
        say(f"rejected: {problem[:300]}")
    snapshot_lines = pd.DataFrame(outcome.scored, columns=SCORED_COLUMNS)
    comparison = compare_replays(live_lines, snapshot_lines, tables["order_lines"], data_end)
    for line in describe_comparison(comparison):
        say(line)
    end = materialize_latest(settings)
    say(f"online store brought up to {end:%Y-%m-%d} for the live service")
    seeded = reseed_live_state(settings)
    say(f"live state seeded with {seeded:,} stock positions for the live service")
    return comparison


def _in_process_client(asgi_app: Any) -> Any:
    """Starlette's in-process HTTP client (it asks for httpx2; httpx is what the stack pins)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*httpx.*")
        from starlette.testclient import TestClient

        return TestClient(asgi_app)


def _score_example(
    post: Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]],
    say: Callable[[str], None],
    world_skus: set[str],
) -> None:
    """The committed example order (examples/score_request.json), as the README's curl sends it.
    It names SKUs of the default world; a smaller world (``--skus``) may not have them."""
    example = json.loads(EXAMPLE_REQUEST.read_text())
    missing = sorted({line["sku_id"] for line in example["lines"]} - world_skus)
    if missing:
        say(f"example order not scored: this world has no {', '.join(missing)} (the example is for the default world)")
        return
    status, body = post("/v1/score", example)
    if status != 200:
        problems = "; ".join(d["problem"] for d in body.get("detail", []))[:300]
        say(f"example order rejected (HTTP {status}): {problems}")
        return
    risky = max(body["lines"], key=lambda line: line["backorder_probability"])
    say(
        f"example order {body['order_id']}: riskiest line {risky['sku_id']}@{risky['location_id']} "
        f"p={risky['backorder_probability']:.2f}, action {risky['action']['action']}"
    )


def _monitor(settings: Settings, say: Callable[[str], None]) -> MonitorVerdict:
    from pipelines.commands.monitor import describe_verdict, write_monitoring

    verdict = write_monitoring(settings, settings.reports_dir / "monitoring", dry_run=True)
    for line in describe_verdict(verdict):
        say(line)
    return verdict


def _report(settings: Settings, say: Callable[[str], None]) -> Path:
    from pipelines.commands.report import write_report

    index = write_report(settings)
    say(f"planner report: {index}")
    return index


def run_demo(
    settings: Settings, seed: int, skus: int, days: int, replay_days: int, console: Console
) -> DemoOutcome:
    """Every step of the loop in order, with a progress bar; raises DemoStepFailed naming the step."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pipelines.commands.simulate import format_summary, write_simulation
    from simulation import scenario_config

    begun = time.perf_counter()
    results: dict[str, Any] = {}

    def say(message: str) -> None:
        console.print(message, markup=False, highlight=False)

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        loop = progress.add_task("backorder demo", total=len(STEPS))

        def simulate() -> None:
            config = scenario_config("baseline", seed=seed, n_skus=skus, n_days=days)
            summary = write_simulation(config, settings.canonical_dir)
            say("      " + ", ".join(f"{name} {count:,}" for name, count in summary["rows"].items()))
            say(f"      {format_summary(summary)}")

        actions: dict[str, Callable[[], Any]] = {
            "simulate": simulate,
            "asof": lambda: _asof(settings, say),
            "features": lambda: _features(settings, say),
            "train": lambda: _train(settings, say),
            "promote": lambda: _promote(settings, say),
            "score": lambda: _score(settings, say, progress, replay_days),
            "monitor": lambda: _monitor(settings, say),
            "report": lambda: _report(settings, say),
        }
        for number, step in enumerate(STEPS, start=1):
            say(f"[{number}/{len(STEPS)}] {step}")
            started = time.perf_counter()
            try:
                results[step] = actions[step]()
            except Exception as error:  # every failure is reported with the step it stopped at
                cause = error if isinstance(error, DemoStepFailed) else f"{type(error).__name__}: {error}"
                raise DemoStepFailed(f"demo stopped at {step}: {cause}") from error
            say(f"      {step} done in {time.perf_counter() - started:.0f} s")
            progress.advance(loop)
    return DemoOutcome(
        results["train"],
        results["promote"],
        results["monitor"],
        results["report"],
        time.perf_counter() - begun,
        results["score"],
    )


def demo(
    config: Path | None = CONFIG_OPTION,
    seed: int = typer.Option(0, help="Seed of the simulated world."),
    skus: int = typer.Option(300, min=10, help="SKUs in the world (smaller runs faster)."),
    days: int = typer.Option(730, min=120, help="Days simulated."),
    replay_days: int = typer.Option(7, min=1, help="Days of orders replayed through the service."),
) -> None:
    """Run the whole loop once: simulate, as-of outputs, features, train, promote, score, monitor, report."""
    from rich.console import Console

    from pipelines.live_replay import describe_comparison

    settings = command_settings(config)
    outcome = run_demo(settings, seed, skus, days, replay_days, Console())
    typer.echo(
        f"\ndone in {outcome.seconds / 60:.1f} min\n"
        + "".join(f"  {line}\n" for line in describe_comparison(outcome.replay))
        + f"  planner report:   {outcome.report}\n"
        f"  monitoring:       {outcome.monitoring.report_path}\n"
        f"  MLflow UI:        .venv/bin/mlflow ui --backend-store-uri {settings.tracking_uri}\n"
        f"  scoring service:  make serve   (then: curl -H 'Authorization: Bearer dev-key' "
        f"-H 'Content-Type: application/json' -d @examples/score_request.json "
        f"http://{settings.service_host}:{settings.service_port}/v1/score)"
    )
