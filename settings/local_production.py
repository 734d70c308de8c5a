"""A production-profile settings file on this machine's own PostgreSQL and Redis, for the tests
and the benchmarks that run the production stores for real."""

from __future__ import annotations

from pathlib import Path

import yaml

LOCAL_REDIS = "127.0.0.1:6379"


def write_local_production_settings(
    path: Path, data_dir: Path, database_uri: str, project: str, api_keys: dict[str, dict], **more: object
) -> Path:
    """Write settings for ``data_dir`` with MLflow in ``database_uri``, Feast's online store and the
    live state in the local Redis under ``project``, no development key and the hashed
    ``api_keys``; ``more`` adds or overrides settings."""
    settings = {
        "profile": "production",
        "data_dir": str(data_dir),
        "mlflow_tracking_uri": database_uri,
        "online_store": "redis",
        "redis_connection_string": LOCAL_REDIS,
        "feast_project": project,
        "live": {"key_prefix": f"{project}:live"},
        "allow_dev_key": False,
        "api_keys": api_keys,
        **more,
    }
    path.write_text(yaml.safe_dump(settings))
    return path
