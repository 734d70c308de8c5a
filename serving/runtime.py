"""What a running service holds, and how it is assembled from settings at start-up.

``build_runtime`` takes already-built components (``Components``), so tests and the lead's wiring
plug in real models, readers and decision functions; ``production_components`` is the start-up
path: champions from the MLflow registry (or the local cache) and the Feast online store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from serving.actions import ActionPlanner, SupplySource
from serving.auth import KeyRing
from serving.prediction_log import PredictionLog
from serving.registry import LoadedModel, Loader, load_champions, mlflow_loader
from serving.scoring import FeatureReader, Scorer
from settings import Settings

logger = logging.getLogger(__name__)

RISK, DEMAND, LEAD_TIME = "backorder_risk", "demand", "lead_time"
ONLINE_SERVICE = "order_line_risk_v1"

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
    forecaster: Forecaster | None = None
    eta: EtaLookup | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Runtime:
    keyring: KeyRing
    log: PredictionLog
    components: Components
    scorer: Scorer | None
    clock: Callable[[], pd.Timestamp]
    counters: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def ready(self) -> bool:
        return self.scorer is not None

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:  # sync routes run on a thread pool
            self.counters[name] = self.counters.get(name, 0) + n

    def metrics_text(self) -> str:
        """Prometheus exposition lines: counters and whether each model came from the cache."""
        lines = []
        for name, value in sorted(self.counters.items()):
            lines += [f"# TYPE backorder_{name}_total counter", f"backorder_{name}_total {value}"]
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
    clock = today or _today
    keyring = KeyRing.from_settings(settings.api_keys, settings.profile, settings.allow_dev_key)
    log = PredictionLog(settings.prediction_log_dir)
    risk = components.models.get(RISK)
    scorer = None
    if risk is not None and components.reader is not None and components.supply is not None:
        scorer = Scorer(
            risk_model=risk.estimator,
            reader=components.reader,
            decide=ActionPlanner(components.supply, clock),
            model_version=f"{RISK}/{risk.version}",
        )
    else:
        components.notes.append("not ready: risk model, feature reader or supply source missing")
    for model in components.models.values():
        if model.source == "cache":
            components.notes.append(
                f"{model.name} v{model.version} loaded from the local cache: registry unreachable"
            )
    return Runtime(keyring=keyring, log=log, components=components, scorer=scorer, clock=clock)


def production_components(
    settings: Settings, loader: Loader | None = None, supply: SupplySource | None = None
) -> Components:
    """Champions from the registry (cache fallback) and the Feast online reader.

    Failures are recorded in ``notes`` instead of raised, so the service starts and says what is
    missing in ``/v1/status`` (and ``/readyz`` stays 503 until scoring is possible).
    """
    notes: list[str] = []
    models: dict[str, LoadedModel] = {}
    for name in (RISK, DEMAND, LEAD_TIME):
        try:
            models.update(
                load_champions(
                    [name], loader or mlflow_loader(settings.tracking_uri), settings.model_cache_dir
                )
            )
        except Exception as exc:  # noted, not raised: the service starts and reports it
            notes.append(str(exc) if str(exc).startswith(name) else f"{name}: {exc}")
    reader = None
    try:
        from features.feature_store import OnlineReader, open_store

        reader = OnlineReader(open_store(settings), ONLINE_SERVICE)
    except Exception as exc:
        notes.append(f"feature store: {exc}")
    if supply is None:
        notes.append("supply source (stock positions and open POs) is not wired yet")
    return Components(models=models, reader=reader, supply=supply, notes=notes)


def _today() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").tz_convert(None)
