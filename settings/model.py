"""The settings model and its loader (YAML file plus ``BACKORDER_*`` environment variables)."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from settings.sections import (
    AlertsSettings,
    HashedApiKey,
    LiveSettings,
    MonitoringSettings,
    RateLimitSettings,
)

DEFAULT_CONFIG_FILE = Path("backorder.yaml")


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
        description="Where the risk classifiers and the demand model train, and where the as-of step "
        "forecasts (by series partition, its refits in this process): in this process, or on a "
        "dask.distributed cluster (docs/scaling.md).",
    )
    dask_scheduler_address: str | None = Field(
        None, description="Scheduler of the Dask cluster (e.g. tcp://10.0.0.5:8786); None starts a LocalCluster here."
    )
    dask_workers: int = Field(
        2, ge=1, description="Workers (one thread each) of the LocalCluster started without a scheduler address."
    )
    dask_worker_memory_limit: str | None = Field(
        None,
        pattern=r"^\d+(\.\d+)?\s*(B|kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="Memory of each LocalCluster worker (e.g. '5GB'); a worker spills its data to "
        "dask_local_directory past 60-70 % of it. None: the machine's memory shared among the workers.",
    )
    dask_local_directory: Path | None = Field(
        None, description="Where LocalCluster workers spill to disk; None: Dask's temporary directory."
    )
    dask_partitions: int = Field(
        8, ge=1, description="Partitions (by SKU) of the Dask feature path the classifiers train from, and "
        "blocks of whole series of the as-of forecasts on Dask."
    )

    # MLflow tracking + registry: SQLite by default, PostgreSQL by setting a postgresql:// URI.
    mlflow_tracking_uri: str | None = None
    mlflow_artifact_root: str | None = Field(
        None,
        description="Where new experiments keep their artifacts (models, plots, reference data): None = "
        "data_dir/mlflow/artifacts; or s3://BUCKET/PREFIX in an S3 or S3-compatible object store "
        "(credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or anywhere boto3 looks).",
    )
    mlflow_s3_endpoint_url: str | None = Field(
        None,
        description="Endpoint of an S3-compatible object store (MinIO, Ceph, scripts/s3-server), "
        "given to MLflow as MLFLOW_S3_ENDPOINT_URL; None = Amazon S3 (or that variable if set).",
    )
    registry_timeout_seconds: float = Field(
        3.0,
        gt=0,
        description="Longest wait for the model registry (tracking server) per request; the service "
        "starts from its local model cache when the registry does not answer in time.",
    )
    registry_retries: int = Field(
        1, ge=0, le=10, description="Retries of a failed registry request (short backoff between them)."
    )
    reload_timeout_seconds: float = Field(
        20.0,
        gt=0,
        le=25,
        description="Longest wait of POST /v1/admin/reload for the new models; a reload not done by then "
        "answers 504 and is abandoned (nothing swapped). At most 25, under the 30 s request timeout.",
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
    def _object_store_uris(self) -> Settings:
        """Refuse an artifact root or endpoint MLflow could not use, naming the setting."""
        root = self.mlflow_artifact_root
        if root is not None and not re.fullmatch(r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[^\s]*)?", root):
            raise ValueError(
                f"mlflow_artifact_root: {root!r} is not an S3 location; write s3://BUCKET/PREFIX "
                "(a bucket name of 3 to 63 lower-case letters, digits, dots and hyphens), or leave it "
                "unset for the data folder"
            )
        endpoint = self.mlflow_s3_endpoint_url
        if endpoint is not None and not re.fullmatch(r"https?://[^\s/]+/?", endpoint):
            raise ValueError(f"mlflow_s3_endpoint_url: {endpoint!r} is not an endpoint; write http(s)://HOST[:PORT]")
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
    def unpacked_exports_dir(self) -> Path:
        """Where zip archives of exports are unpacked, one folder per archive name."""
        return self.data_dir / "exports"

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
    def artifact_root(self) -> Path | str:
        """Where new experiments keep their artifacts: the object store URI of
        ``mlflow_artifact_root``, else the folder ``data_dir/mlflow/artifacts``."""
        return self.mlflow_artifact_root or self.mlflow_dir / "artifacts"

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
