"""The settings model and its loader (YAML file plus ``BACKORDER_*`` environment variables)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

DEFAULT_CONFIG_FILE = Path("backorder.yaml")


class MonitoringSettings(BaseModel):
    """Thresholds of ``backorder monitor``: what counts as drift or decay worth a retrain."""

    model_config = {"extra": "forbid"}

    window_days: int = Field(28, ge=1, description="Days of the prediction log compared with the reference.")
    min_window_days: int = Field(
        7, ge=1, description="Distinct logged days the window needs before drift is judged (else: not enough data yet)."
    )
    min_window_rows: int = Field(
        500, ge=1, description="Logged lines the window needs before drift is judged (else: not enough data yet)."
    )
    column_psi: float = Field(0.2, gt=0, description="PSI above which a feature has drifted.")
    drifted_share: float = Field(
        0.3, ge=0, le=1, description="Share of drifted model-state features that is data drift (request mix apart)."
    )
    prediction_psi: float = Field(0.2, gt=0, description="PSI above which the predictions have drifted.")
    min_labelled: int = Field(200, ge=1, description="Labelled lines needed to judge performance.")
    min_positives: int = Field(10, ge=1, description="Positive outcomes needed to judge performance.")
    max_pr_auc_drop: float = Field(0.2, gt=0, lt=1, description="Allowed relative PR-AUC drop vs reference.")
    max_calibration_gap: float = Field(0.05, gt=0, lt=1, description="Allowed |mean score - observed rate|.")

    @model_validator(mode="after")
    def _window_can_hold_the_minimum(self) -> MonitoringSettings:
        if self.min_window_days > self.window_days:
            raise ValueError(
                f"min_window_days ({self.min_window_days}) exceeds window_days ({self.window_days}): "
                "drift could never be judged"
            )
        return self


class AlertsSettings(BaseModel):
    """Thresholds of the exceptions (``alerts/``), their store and the webhook deliveries."""

    model_config = {"extra": "forbid"}

    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the exception and webhook store; None = SQLite in data_dir/alerts/.",
    )
    penalty_per_unit: float = Field(10.0, ge=0, description="Cost of one unit backordered, for expected costs.")
    critical_cost: float = Field(1000.0, gt=0, description="Expected cost from which an exception is critical.")
    warning_cost: float = Field(100.0, ge=0, description="Expected cost from which an exception is a warning.")
    line_risk: float = Field(0.5, gt=0, lt=1, description="Backorder probability from which an order line is at risk.")
    line_risk_critical: float = Field(
        0.8, gt=0, le=1, description="Probability from which an at-risk line is critical."
    )
    stockout_demand_factor: float = Field(
        1.05, gt=0, description="Multiplier on the median daily demand the stock-out projection consumes."
    )
    stockout_margin_units: float = Field(
        0.0, ge=0, description="Units the projected stock must fall below zero within the lead time to alert."
    )
    po_late_probability: float = Field(
        0.5, gt=0, lt=1, description="P(arrival after the promised date) from which an open PO is late."
    )
    supplier_delay_days: float = Field(
        3.0, gt=0, description="Mean delay (days) of a supplier's recent receipts that breaches its limit."
    )
    supplier_trend_days: float = Field(
        2.0, gt=0, description="Rise of the recent mean delay over the longer baseline (days) that breaches."
    )
    supplier_recent_days: int = Field(90, ge=1, description="Days of receipts that are 'recent' for a supplier.")
    supplier_baseline_days: int = Field(365, ge=1, description="Days of receipts of a supplier's baseline.")
    supplier_min_receipts: int = Field(5, ge=1, description="Recent receipts a supplier needs before it is judged.")
    forecast_bias: float = Field(
        0.3, gt=0, description="|sum(forecast) / sum(actual) - 1| of a demand series that breaches."
    )
    forecast_min_units: float = Field(20.0, ge=0, description="Actual units a series needs before its bias is judged.")
    expire_after_hours: float = Field(
        36.0, gt=0, description="An open exception not detected again for this long expires."
    )
    delivery_attempts: int = Field(6, ge=1, description="Tries of one webhook delivery before the dead-letter list.")
    delivery_base_delay_seconds: float = Field(
        30.0, gt=0, description="Wait before the first retry; doubled after each failed try."
    )
    delivery_timeout_seconds: float = Field(10.0, gt=0, description="Time a receiver has to answer one delivery.")
    subscriber_per_minute: int = Field(60, ge=1, description="Deliveries a subscriber receives per minute at most.")
    live_checks: bool = Field(
        True, description="The service re-checks the SKU-locations and POs its events touch, and sends webhooks."
    )
    live_debounce_seconds: float = Field(
        0.5, ge=0, description="Wait after a touch before the re-check, so a burst of events is checked once."
    )
    delivery_poll_seconds: float = Field(
        1.0, gt=0, description="Pause between the service's passes over due webhook deliveries (retries)."
    )
    redis_stream: str | None = Field(
        None, description="Redis stream (on live.redis_url) exception events are added to; None = none."
    )
    redis_stream_maxlen: int = Field(100_000, ge=1, description="Approximate length the stream is trimmed to.")

    @model_validator(mode="after")
    def _ordered_levels(self) -> AlertsSettings:
        if self.warning_cost > self.critical_cost:
            raise ValueError(f"warning_cost ({self.warning_cost}) exceeds critical_cost ({self.critical_cost})")
        if self.line_risk > self.line_risk_critical:
            raise ValueError(f"line_risk ({self.line_risk}) exceeds line_risk_critical ({self.line_risk_critical})")
        return self


class RateLimit(BaseModel):
    """A token bucket: ``per_second`` requests on average, up to ``burst`` at once."""

    model_config = {"extra": "forbid"}

    per_second: float = Field(gt=0, description="Requests per second a key may make on average.")
    burst: int = Field(ge=1, description="Requests a key may make at once after a quiet spell.")


class RateLimitSettings(RateLimit):
    """Requests per API key of the service; over the limit a request is answered 429."""

    enabled: bool = Field(True, description="False turns the limit off.")
    per_second: float = Field(
        200, gt=0, description="Requests per second per key; more than one worker serves, so normal use is not limited."
    )
    burst: int = Field(400, ge=1, description="Requests a key may make at once after a quiet spell.")
    per_role: dict[str, RateLimit] = Field(
        default_factory=dict,
        description="Role -> limit for keys with that role (a key with several roles gets the most generous).",
    )


class LiveSettings(BaseModel):
    """Where the live state (stock, reservations, open PO lines) is kept and how events reach it."""

    model_config = {"extra": "forbid"}

    store: Literal["sqlite", "redis"] | None = Field(
        None, description="sqlite (a file in the data folder) or redis; default: sqlite embedded, redis in production."
    )
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis of the live state and the event stream.")
    key_prefix: str = Field("backorder:live", description="Prefix of every key the live state writes in Redis.")
    event_stream: str = Field("backorder:events", description="Redis stream that `backorder events consume` reads.")
    dead_letter_stream: str = Field(
        "backorder:events:dead", description="Stream where events that cannot be applied go, with the reason."
    )
    consumer_group: str = Field("live-state", description="Consumer group of the event stream.")
    batch_size: int = Field(500, ge=1, description="Stream entries read and applied at once.")
    claim_idle_ms: int = Field(
        30_000, ge=0, description="An entry left unacknowledged this long by a consumer is taken over by another."
    )


class HashedApiKey(BaseModel):
    """An API key kept as a salted hash (``backorder keys add`` prints one); named by its entry."""

    model_config = {"extra": "forbid"}

    hash: str = Field(description="scrypt$<n>$<r>$<p>$<salt>$<hash>, as printed by 'backorder keys add'.")
    roles: list[str] = Field(description="Some of oms, erp, planner, admin.")


class Settings(BaseSettings):
    """Where data, stores and models live, and how the service behaves.

    Relative paths are resolved against ``root`` (the repository by default), so the same
    settings work from any working directory.
    """

    model_config = SettingsConfigDict(
        env_prefix="BACKORDER_",
        env_nested_delimiter="__",
        extra="forbid",
        yaml_file=None,
    )

    profile: Literal["embedded", "production"] = "embedded"
    root: Path = Field(default_factory=Path.cwd, description="Base for relative paths.")
    data_dir: Path = Path("data")

    # Feast: offline store is duckdb over Parquet; online store is SQLite or Redis.
    online_store: Literal["sqlite", "redis"] = "sqlite"
    redis_connection_string: str = "127.0.0.1:6379"
    feast_project: str = "backorder_radar"

    num_threads: int = Field(
        2, ge=1, description="OpenMP threads of each LightGBM training fit (demand and lead-time fits use one)."
    )
    engine: Literal["local", "dask"] = Field(
        "local",
        description="Where the risk classifiers train: in this process, or on a dask.distributed cluster "
        "from Dask frames (docs/scaling.md).",
    )
    dask_scheduler_address: str | None = Field(
        None, description="Scheduler of the Dask cluster (e.g. tcp://10.0.0.5:8786); None starts a LocalCluster here."
    )
    dask_workers: int = Field(
        2, ge=1, description="Workers (one thread each) of the LocalCluster started without a scheduler address."
    )
    dask_partitions: int = Field(
        8, ge=1, description="Partitions (by SKU) of the Dask feature path the classifiers train from."
    )

    # MLflow tracking + registry: SQLite by default, PostgreSQL by setting a postgresql:// URI.
    mlflow_tracking_uri: str | None = None
    registry_timeout_seconds: float = Field(
        3.0,
        gt=0,
        description="Longest wait for the model registry (tracking server) per request; the service "
        "starts from its local model cache when the registry does not answer in time.",
    )
    registry_retries: int = Field(
        1, ge=0, le=10, description="Retries of a failed registry request (short backoff between them)."
    )

    # Service
    api_keys: dict[str, HashedApiKey | list[str]] = Field(
        default_factory=dict,
        description="Key name -> {hash, roles} (a salted hash from 'backorder keys add'); in the "
        "embedded profile also plain key -> roles (oms, erp, planner, admin).",
    )
    allow_dev_key: bool = Field(
        True, description="Accept the key 'dev-key' with all roles; refused in the production profile."
    )
    max_body_bytes: int = Field(
        8 * 1024 * 1024,
        ge=1024,
        description="Largest request body in bytes (a larger one is a 413 before parsing); "
        "the default holds a full batch of 100 orders of 200 lines with 64-character ids.",
    )
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    service_host: str = "127.0.0.1"
    service_port: int = 3000
    service_workers: int | None = Field(
        None,
        ge=1,
        description="Worker processes of the service; None: 1 in the embedded profile, 2 in production "
        "(workers share the live state, so an event posted to one is seen by all).",
    )
    serving_as_of: date | None = Field(
        None, description="Date the service scores as of; None = today (embedded: the data's last day if older)."
    )

    prediction_log_sync: Literal["normal", "full"] = Field(
        "normal",
        description="normal: a killed process loses no logged line; full: a power cut neither (fsync per request).",
    )
    prediction_log_format: Literal["compact", "json"] = Field(
        "compact",
        description="compact: each line's inputs, features and outputs as one compressed payload; "
        "json: as JSON text columns (readable with plain SQL). Lines of either format stay readable.",
    )
    prediction_log_retention_days: int | None = Field(
        365,
        ge=1,
        description="Lines older than this are deleted when the service starts and by "
        "'backorder log prune'; None keeps every line.",
    )

    monitoring: MonitoringSettings = Field(default_factory=MonitoringSettings)
    alerts: AlertsSettings = Field(default_factory=AlertsSettings)

    live: LiveSettings = Field(default_factory=LiveSettings)

    config_file: Path | None = Field(default=None, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        yaml_file = settings_cls.model_config.get("yaml_file")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if yaml_file:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=yaml_file))
        return tuple(sources)

    @model_validator(mode="after")
    def _production_needs_its_own_keys(self) -> Settings:
        """Refuse, when settings load, a production profile that would accept the development key
        or no key at all, so the service exits once with this message instead of starting."""
        if self.profile == "production" and self.allow_dev_key:
            raise ValueError(
                "allow_dev_key: the development key is refused in the production profile; "
                "set allow_dev_key: false (BACKORDER_ALLOW_DEV_KEY=false) and configure api_keys"
            )
        if self.profile == "production" and not self.api_keys:
            raise ValueError(
                "api_keys: the production profile needs at least one API key "
                "(name -> {hash, roles}, from 'backorder keys add')"
            )
        plain = sorted(name for name, entry in self.api_keys.items() if not isinstance(entry, HashedApiKey))
        if self.profile == "production" and plain:
            raise ValueError(
                f"api_keys: plain-text keys are refused in the production profile ({len(plain)} found); "
                "store each as {hash, roles}: run 'backorder keys add --name NAME --role ROLE'"
            )
        return self

    @model_validator(mode="after")
    def _resolve_paths(self) -> Settings:
        self.root = self.root.resolve()
        if not self.data_dir.is_absolute():
            self.data_dir = (self.root / self.data_dir).resolve()
        return self

    @property
    def workers(self) -> int:
        """How many worker processes ``bentoml serve`` starts (``service_workers``)."""
        if self.service_workers is not None:
            return self.service_workers
        return 2 if self.profile == "production" else 1

    # Derived locations: one layout under data_dir, so nothing else invents paths.
    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def canonical_dir(self) -> Path:
        return self.data_dir / "canonical"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def features_dir(self) -> Path:
        return self.data_dir / "features"

    @property
    def asof_dir(self) -> Path:
        """As-of outputs of the demand and lead-time models (``backorder features asof``)."""
        return self.data_dir / "asof"

    @property
    def feature_repo_dir(self) -> Path:
        return self.data_dir / "feature_repo"

    @property
    def online_store_path(self) -> Path:
        return self.data_dir / "online_store.db"

    @property
    def mlflow_dir(self) -> Path:
        return self.data_dir / "mlflow"

    @property
    def tracking_uri(self) -> str:
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        return f"sqlite:///{self.mlflow_dir / 'mlflow.db'}"

    @property
    def artifact_root(self) -> Path:
        return self.mlflow_dir / "artifacts"

    @property
    def bentoml_home(self) -> Path:
        return self.data_dir / "bentoml"

    @property
    def prediction_log_dir(self) -> Path:
        return self.data_dir / "prediction_log"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def live_store(self) -> Literal["sqlite", "redis"]:
        """The live state's store: the one set, else Redis in production and SQLite embedded."""
        if self.live.store is not None:
            return self.live.store
        return "redis" if self.profile == "production" else "sqlite"

    @property
    def live_state_path(self) -> Path:
        return self.data_dir / "live_state.db"

    @property
    def event_archive_dir(self) -> Path:
        """Where the Redis event log is flushed (``backorder events flush``)."""
        return self.data_dir / "event_log"

    @property
    def compacted_dir(self) -> Path:
        """Canonical tables compacted from the event log (``backorder events compact``)."""
        return self.data_dir / "compacted"

    @property
    def model_cache_dir(self) -> Path:
        return self.data_dir / "model_cache"

    @property
    def alerts_database_url(self) -> str:
        """Where exceptions and webhooks are kept: ``alerts.database_url``, else SQLite in the data folder."""
        return self.alerts.database_url or f"sqlite:///{self.data_dir / 'alerts' / 'alerts.db'}"


def load_settings(config_file: Path | str | None = None, **overrides: object) -> Settings:
    """Build settings from an optional YAML file, ``BACKORDER_*`` variables and overrides.

    The YAML file is ``config_file`` if given, else ``$BACKORDER_CONFIG``, else ``backorder.yaml``
    in the working directory when it exists.
    """
    path = Path(config_file) if config_file else None
    if path is None and os.environ.get("BACKORDER_CONFIG"):
        path = Path(os.environ["BACKORDER_CONFIG"])
    if path is None and DEFAULT_CONFIG_FILE.exists():
        path = DEFAULT_CONFIG_FILE
    if path is not None and not path.exists():
        raise FileNotFoundError(f"settings file {path} does not exist")

    class _FileSettings(Settings):
        model_config = SettingsConfigDict(yaml_file=path)

    values = dict(_FileSettings(**overrides))  # keeps nested sections as models
    values["config_file"] = path
    return Settings.model_construct(**values)
