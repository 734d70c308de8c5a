"""What MLflow's client reads from the environment, set from settings: how long its HTTP client
may wait on the tracking server, and which S3 endpoint holds the artifacts.

MLflow reads its HTTP timeout and retries from environment variables at each request; left at
its defaults (120 s a request, 7 retries with exponential backoff) one unreachable registry held
a load for minutes. These are set from ``settings.registry_timeout_seconds`` and
``settings.registry_retries`` before the service talks to the registry.
"""

from __future__ import annotations

import math
import os

from settings.model import Settings

# Seconds between retries grow as factor * 2 ** retry; kept small so the retries fit in seconds.
# A whole number: MLflow reads it as an int and fails every registry request on a fraction.
BACKOFF_FACTOR = 1


def limit_registry_requests(settings: Settings) -> None:
    """Bound each MLflow HTTP request by the registry settings (this process only)."""
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(max(1, math.ceil(settings.registry_timeout_seconds)))
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = str(settings.registry_retries)
    os.environ["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] = str(BACKOFF_FACTOR)
    os.environ["MLFLOW_HTTP_REQUEST_BACKOFF_JITTER"] = "0"


def use_artifact_store(settings: Settings) -> None:
    """Point MLflow's S3 client at ``settings.mlflow_s3_endpoint_url`` (this process only); unset,
    MLflow talks to Amazon S3 or to the ``MLFLOW_S3_ENDPOINT_URL`` the environment already names."""
    if settings.mlflow_s3_endpoint_url:
        os.environ["MLFLOW_S3_ENDPOINT_URL"] = settings.mlflow_s3_endpoint_url
