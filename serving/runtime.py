"""What a running service holds, and how it is assembled from settings at start-up.

``build_runtime`` takes already-built components (``Components``), so tests and the lead's wiring
plug in real models, readers and decision functions; ``production_components`` is the start-up
path: champions from the MLflow registry (or the local cache) and the Feast online store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from alerts.desk import AlertDesk
from decisions.actions import ActionPlanner, SupplySource
from live.canonical import canonical_seed
from live.factory import open_live_state
from live.state import LiveState
from serving.auth import KeyRing
from serving.counters import Counters
from serving.errors import ServiceError
from serving.eta import FrameEtaLookup
from serving.forecast import RECENT_MEAN_DEMAND, load_forecaster, load_recent_demand
from serving.lifecycle import Leases
from serving.live_alerts import AlertWorkers, alert_workers
from serving.live_supply import LiveStockReader, LiveSupply, PoDelays, seed, seed_if_empty
from serving.prediction_log import PredictionLog
from serving.rate_limit import RateLimiter, rate_limiter
from serving.registry import (
    LoadedModel,
    Loader,
    NoChampion,
    RegistryProbe,
    load_champions,
    mlflow_loader,
    registry_down,
)
from serving.scoring import FeatureReader, FeatureStoreUnavailable, Scorer
from serving.store_health import StoreHealth
from serving.substitutes import load_substitutes
from serving.supply import CanonicalSupply, fallback_name, last_snapshot_date, load_canonical_supply
from settings import Settings
from settings.registry_client import limit_registry_requests, use_artifact_store
from training.recipes import BACKORDER_RISK

logger = logging.getLogger(__name__)

RISK, DEMAND, LEAD_TIME = "backorder_risk", "demand", "lead_time"
ONLINE_SERVICE = BACKORDER_RISK.feature_service

# (sku_id, location_id, horizon_days) -> frame with ds, p10, p50, p90
Forecaster = Callable[[str, str, int], pd.DataFrame]
# po_id -> dict(sku_id, location_id, promised_date, eta_p50, eta_p90) or None if unknown
EtaLookup = Callable[[str], "dict[str, Any] | None"]


@dataclass
class Components:
    """The parts a service is made of; None marks a part that failed or is not wired."""

    models: dict[str, LoadedModel]
    reader: FeatureReader | None
    supply: SupplySource | None
    forecaster: Forecaster | None = None  # the demand champion's
    demand_fallback: Forecaster | None = None  # without it, for /v1/forecast: the recent-demand quantiles
    eta: EtaLookup | None = None
    notes: list[str] = field(default_factory=list)
    as_of: pd.Timestamp | None = None  # fixed serving date (a simulated world); None = the clock
    live: LiveState | None = None  # events in, stock now (serving.live_supply); None: start-up stock
    substitutes: pd.DataFrame | None = None  # sku_substitutes (serving.substitutes); None: the data has none


@dataclass
class Runtime:
    keyring: KeyRing
    log: PredictionLog
    components: Components
    scorer: Scorer | None
    clock: Callable[[], pd.Timestamp]
    # Handed on to the runtime a reload swaps in (serving.lifecycle), so totals survive reloads.
    counters: Counters = field(default_factory=Counters)
    reports_dir: Path | None = None
    max_body_bytes: int = Settings.model_fields["max_body_bytes"].default
    reload_timeout_seconds: float = Settings.model_fields["reload_timeout_seconds"].default
    rate_limiter: RateLimiter | None = None  # None: no limit
    # Whether the online store answers now (cached briefly): what /readyz and /v1/status say.
    store_health: StoreHealth = field(default_factory=lambda: StoreHealth(None))
    # Whether the model registry answers, asked before a reload builds anything.
    registry: RegistryProbe | None = None
    leases: Leases = field(default_factory=Leases, repr=False)
    alerts: AlertDesk | None = None  # None: the alert database could not be opened
    # Re-checks what events touch and sends webhooks (serving.live_alerts); None: no alert database.
    alert_workers: AlertWorkers | None = field(default=None, repr=False)

    @property
    def ready(self) -> bool:
        """The service can score: the parts are loaded and the online store answers."""
        return self.scorer is not None and self.store_health.ok()

    def readiness(self) -> dict[str, Any]:
        """What ``/readyz`` answers: ready or not, what is missing, where each model came from."""
        c = self.components
        store_ok = self.store_health.ok()
        missing = [
            name
            for name, part in (
                (f"model {RISK}", c.models.get(RISK)),
                ("feature store", c.reader if store_ok else None),
                ("supply source", c.supply),
            )
            if part is None
        ]
        return {
            "ready": self.scorer is not None and store_ok,
            "missing": missing,
            "models": {m.name: {"version": m.version, "source": m.source} for m in c.models.values()},
            "as_of": None if c.as_of is None else str(c.as_of.date()),
            "notes": list(c.notes),
        }

    def count(self, name: str, n: int = 1) -> None:
        self.counters.add(name, n)

    def store_unavailable(self, exc: FeatureStoreUnavailable) -> ServiceError:
        """The 503 to answer when the online store failed a read: counted, and after a failed
        read (not the pause after one) logged and the store marked down for the readiness probe."""
        self.count("feature_store_unavailable")
        if exc.__cause__ is not None:
            logger.warning("%s: %r", exc, exc.__cause__)
            self.store_health.mark_down()
        return ServiceError(503, "feature store unavailable", [("feature_store", str(exc))])

    def start_background(self) -> None:
        """Start the alert threads: when the service starts serving this runtime."""
        if self.alert_workers is not None:
            self.alert_workers.start()

    def touch(self, sku_locations: Iterable[tuple[str, str]], po_ids: Iterable[str] = ()) -> None:
        """Queue the alert re-check of what events or reservations changed; never blocks."""
        if self.alert_workers is not None:
            self.alert_workers.touch(sku_locations, po_ids)

    def close(self) -> None:
        """Release what the runtime holds (the alert threads, the prediction log, the scorer's threads,
        the live state's connection)."""
        if self.alert_workers is not None:
            self.alert_workers.stop()
        self.log.close()
        if self.scorer is not None:
            self.scorer.close()
        if self.components.live is not None:
            self.components.live.close()

    def metrics_text(self) -> str:
        """Prometheus exposition lines: counters and whether each model came from the cache."""
        lines = self.counters.exposition()
        lines.append("# TYPE backorder_model_from_cache gauge")
        for model in self.components.models.values():
            cached = int(model.source == "cache")
            lines.append(f'backorder_model_from_cache{{model="{model.name}"}} {cached}')
        return "\n".join(lines) + "\n"

    def model_version(self, name: str) -> str:
        model = self.components.models.get(name)
        return f"{name}/{model.version}" if model else f"{name}/unavailable"


def build_runtime(
    settings: Settings, components: Components, today: Callable[[], pd.Timestamp] | None = None
) -> Runtime:
    """Check the key policy, open the prediction log and assemble the scorer if it can be.

    ``today`` is the clock for request times and promise dates (UTC, naive); tests fix it.
    """
    fixed = components.as_of
    clock = today or ((lambda: fixed) if fixed is not None else utc_today)
    keyring = KeyRing.from_settings(settings.api_keys, settings.allow_dev_key)
    log = PredictionLog(
        settings.prediction_log_dir,
        settings.prediction_log_sync,
        log_format=settings.prediction_log_format,
        retention_days=settings.prediction_log_retention_days,
    )
    risk = components.models.get(RISK)
    scorer = None
    if risk is not None and components.reader is not None and components.supply is not None:
        scorer = Scorer(
            risk_model=risk.estimator,
            reader=components.reader,
            decide=ActionPlanner(components.supply, clock),
            model_version=f"{RISK}/{risk.version}",
            known_locations=getattr(components.supply, "locations", None),
        )
    else:
        components.notes.append("not ready: risk model, feature reader or supply source missing")
    for model in components.models.values():
        if model.source == "cache":
            components.notes.append(
                f"{model.name} v{model.version} loaded from the local cache: registry unreachable"
            )
    desk = open_alert_desk(settings, components.notes)
    return Runtime(
        keyring=keyring,
        log=log,
        components=components,
        scorer=scorer,
        clock=clock,
        reports_dir=settings.reports_dir,
        max_body_bytes=settings.max_body_bytes,
        reload_timeout_seconds=settings.reload_timeout_seconds,
        rate_limiter=rate_limiter(settings),
        store_health=StoreHealth(components.reader),
        registry=RegistryProbe(settings.tracking_uri, settings.registry_timeout_seconds),
        alerts=desk,
        alert_workers=None if desk is None else alert_workers(
            desk, settings.alerts, components.live, components.supply, components.forecaster,
            settings.canonical_dir, clock,
        ),
    )


def open_alert_desk(settings: Settings, notes: list[str]) -> AlertDesk | None:
    """The exceptions and webhooks of ``settings``; a database that cannot be opened is a note."""
    try:
        return AlertDesk.from_settings(settings)
    except Exception as exc:  # noted, not raised: scoring does not need the alert database
        _note_failure(notes, "alert database", exc)
        return None


def production_components(
    settings: Settings,
    loader: Loader | None = None,
    supply: SupplySource | None = None,
    today: Callable[[], pd.Timestamp] | None = None,
    reseed_live: bool = False,
) -> Components:
    """Champions from the registry (the cache if it does not answer), the Feast online reader,
    and the supply, demand forecasts and PO ETAs read from the canonical tables as of the serving
    date.

    Failures are recorded in ``notes`` instead of raised, so the service starts and says what is
    missing in ``/readyz`` and ``/v1/status`` (``/readyz`` stays 503 until scoring is possible).
    The live state is seeded from the canonical tables when it is empty, or always with
    ``reseed_live`` (a replay that moves the service from day to day).
    """
    notes: list[str] = []
    models: dict[str, LoadedModel] = {}
    loader = loader or registry_loader(settings)
    for name in (RISK, DEMAND, LEAD_TIME):
        try:
            models.update(load_champions([name], loader, settings.model_cache_dir))
        except NoChampion:
            notes.append(f"{name}: no champion registered")
        except Exception as exc:  # noted, not raised: the service starts and reports it
            _note_failure(notes, name, exc)
    reader = None
    try:
        from features.feature_store import OnlineReader, open_store

        reader = OnlineReader(open_store(settings), ONLINE_SERVICE)
    except Exception as exc:
        _note_failure(notes, "feature store", exc)
    now = (today or utc_today)().normalize()
    as_of = serving_date(settings, now, notes)
    clock_as_of = as_of if as_of != now else None
    eta = None
    if supply is None:
        try:
            lead_time = models.get(LEAD_TIME)
            supply = load_canonical_supply(
                settings.canonical_dir, as_of, lead_time.estimator if lead_time else None
            )
            if lead_time is None:
                notes.append(f"open POs' delays: {supply.delay_source}")
        except Exception as exc:
            _note_failure(notes, "supply source (stock positions and open POs)", exc)
    live = positions = None
    if isinstance(supply, CanonicalSupply):
        positions = supply.stock
        eta = FrameEtaLookup(supply.inbound, lambda: as_of, None if LEAD_TIME in models else fallback_name(supply))
        try:
            live = open_live_state(settings)
            seeded = (seed if reseed_live else seed_if_empty)(live, supply.stock, supply.inbound, as_of)
            if seeded:
                notes.append(f"live state seeded from the canonical tables as of {as_of.date()} ({seeded} positions)")
            reader, supply = live_parts(live, reader, supply, settings.canonical_dir, as_of)
        except Exception as exc:
            if live is not None:
                live.close()
            live = None
            _note_failure(notes, "live state (events and reservations; scoring uses the start-up stock)", exc)
    substitutes = None
    try:
        substitutes = load_substitutes(settings.canonical_dir)
    except Exception as exc:
        _note_failure(notes, "SKU substitutes (customer notices offer none)", exc)
    forecaster = None
    if DEMAND in models:
        try:
            forecaster = load_forecaster(settings.canonical_dir, models[DEMAND].estimator)
        except Exception as exc:
            _note_failure(notes, "demand forecasts", exc)
    fallback = None
    if forecaster is None and positions is not None:
        try:
            fallback = load_recent_demand(settings.canonical_dir, positions, as_of)
            notes.append(f"demand forecasts: {RECENT_MEAN_DEMAND} (no demand champion)")
        except Exception as exc:
            _note_failure(notes, "recent demand (forecasts without a demand champion)", exc)
    return Components(
        models=models,
        reader=reader,
        supply=supply,
        forecaster=forecaster,
        demand_fallback=fallback,
        eta=eta,
        notes=notes,
        as_of=clock_as_of,
        live=live,
        substitutes=substitutes,
    )


def registry_loader(settings: Settings) -> Loader:
    """The champions' loader: the MLflow registry, or only the local model cache when the
    registry does not answer."""
    limit_registry_requests(settings)
    use_artifact_store(settings)
    probe = RegistryProbe(settings.tracking_uri, settings.registry_timeout_seconds)
    return mlflow_loader(settings.tracking_uri, settings.artifact_root) if probe.reachable() else registry_down


def reseed_live_state(settings: Settings, today: pd.Timestamp | None = None) -> int:
    """Replace the live state by the canonical tables' position on the serving date (after the
    canonical tables were rebuilt, e.g. by ``backorder demo``); returns the positions seeded."""
    as_of = serving_date(settings, (today or utc_today()).normalize(), [])
    stock, open_pos = canonical_seed(settings.canonical_dir, as_of)
    live = open_live_state(settings)
    try:
        live.seed(stock, open_pos, as_of)
    finally:
        live.close()
    return len(stock)


def live_parts(
    live: LiveState,
    reader: FeatureReader | None,
    canonical: CanonicalSupply,
    canonical_dir: Path,
    today: pd.Timestamp,
) -> tuple[FeatureReader | None, LiveSupply]:
    """The feature reader and supply source of a service scoring against ``live``: stock features
    and supply read from it, the start-up POs' delay quantiles kept, new POs predicted once by the
    start-up's delay model."""
    skus_file = canonical_dir / "skus.parquet"
    categories = {}
    if skus_file.exists():
        skus = pd.read_parquet(skus_file, columns=["sku_id", "category"])
        categories = dict(zip(skus["sku_id"], skus["category"], strict=True))
    delays = PoDelays(canonical.delay_model, lambda: today, categories)
    delays.remember(canonical.inbound)
    supply = LiveSupply(live, delays, canonical.locations)
    return (LiveStockReader(reader, live) if reader is not None else None), supply


def _note_failure(notes: list[str], part: str, exc: Exception) -> None:
    """A part that failed at start-up: a note for ``/readyz`` and ``/v1/status``, which anyone may
    read, and the error itself (paths, store and registry messages) in the log."""
    logger.warning("start-up: %s not loaded: %s", part, exc)
    notes.append(f"{part}: not loaded; the reason is in the service log")


def serving_date(settings: Settings, today: pd.Timestamp, notes: list[str]) -> pd.Timestamp:
    """The date the service scores as of: ``settings.serving_as_of`` if set; else, in the
    embedded profile, the last inventory snapshot when the data ends before today (a simulated
    world lives in the past); else today."""
    if settings.serving_as_of is not None:
        notes.append(f"serving as of {settings.serving_as_of} (settings.serving_as_of)")
        return pd.Timestamp(settings.serving_as_of)
    if settings.profile == "embedded":
        last = last_snapshot_date(settings.canonical_dir)
        if last is not None and last < today:
            notes.append(f"serving as of {last.date()}, the last inventory snapshot (embedded data ends before today)")
            return last
    return today


def utc_today() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").tz_convert(None)
