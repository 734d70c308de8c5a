"""Champion models for the service, with a local cache for when the registry is unreachable.

Each successful load from the MLflow registry is written to ``settings.model_cache_dir`` (joblib
plus a JSON note of name, version and time); if the registry cannot be reached at start-up, the
service starts from that cache and reports ``source="cache"`` in ``/v1/status``. An HTTP
registry is asked first whether it answers at all (``RegistryProbe``), within
``settings.registry_timeout_seconds``, so a registry that is down costs one short wait, not
MLflow's retries for every model.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib

logger = logging.getLogger(__name__)

# (model_name, alias) -> (estimator, version)
Loader = Callable[[str, str], tuple[Any, str]]


@dataclass(frozen=True)
class LoadedModel:
    name: str
    version: str
    source: str  # "registry" or "cache"
    estimator: Any


class ModelUnavailable(RuntimeError):
    """Neither the registry nor the local cache has the model."""


class NoChampion(ModelUnavailable):
    """The registry holds the model but no version under that alias (a model that never passed its
    gate, or whose champion was retired). A known state, not a failure: nothing comes from the
    cache."""


@dataclass(frozen=True)
class RegistryProbe:
    """Whether the tracking server answers its ``/health`` route within ``timeout_seconds``.

    Only HTTP registries are asked; a database URI (SQLite, PostgreSQL) is reached by the loader.
    """

    tracking_uri: str
    timeout_seconds: float

    def reachable(self) -> bool:
        if not self.tracking_uri.startswith(("http://", "https://")):
            return True
        url = self.tracking_uri.rstrip("/") + "/health"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_seconds) as answer:
                return answer.status == 200
        except Exception as exc:  # refused, timed out, an error status: not answering
            logger.warning("model registry %s does not answer: %s", self.tracking_uri, exc)
            return False


def registry_down(name: str, alias: str) -> tuple[Any, str]:
    """The loader while the registry does not answer: every model comes from the cache."""
    raise ConnectionError("the model registry did not answer its health check")


def mlflow_loader(tracking_uri: str, artifact_root: Path | str | None = None) -> Loader:
    """Load ``models:/<name>@<alias>`` with ``training.tracking.load_alias`` and its version;
    ``artifact_root`` finds the artifacts of a data folder that was moved."""

    def load(name: str, alias: str) -> tuple[Any, str]:
        import mlflow
        from mlflow import MlflowClient

        from training.tracking import load_alias

        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(tracking_uri)
        # A model the registry does not know raises here and the cache is tried: an empty registry
        # may be a wrong or new database (SQLite creates one where the URI points).
        aliases = MlflowClient().get_registered_model(name).aliases
        if alias not in aliases:
            raise NoChampion(f"{name}: no version is {alias} in the registry")
        return load_alias(name, alias, artifact_root), str(aliases[alias])

    return load


def load_champions(
    names: Sequence[str], loader: Loader, cache_dir: Path, alias: str = "champion"
) -> dict[str, LoadedModel]:
    """Each model from the registry (refreshing the cache), else from the cache, else raise
    (``NoChampion`` at once when the registry says the model has no version under ``alias``)."""
    loaded: dict[str, LoadedModel] = {}
    for name in names:
        try:
            estimator, version = loader(name, alias)
        except NoChampion:
            raise
        except Exception as exc:  # registry down, artifact unreadable
            logger.warning("registry load of %s@%s failed (%s); trying the cache", name, alias, exc)
            loaded[name] = _from_cache(name, cache_dir, reason=str(exc))
            continue
        try:
            _to_cache(name, version, estimator, cache_dir)
        except OSError as exc:  # the model loaded; only the fallback copy is not refreshed
            logger.warning("could not refresh the cached copy of %s in %s: %s", name, cache_dir, exc)
        loaded[name] = LoadedModel(name, version, "registry", estimator)
    return loaded


def _to_cache(name: str, version: str, estimator: Any, cache_dir: Path) -> None:
    """Write the model, then its note, each to a temporary file of this process renamed into
    place: a crash never leaves half a model, and workers starting together do not collide."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    note = {"name": name, "version": version, "cached_at": datetime.now(UTC).isoformat()}
    for target, write in (
        (cache_dir / f"{name}.joblib", lambda path: joblib.dump(estimator, path)),
        (cache_dir / f"{name}.json", lambda path: path.write_text(json.dumps(note))),
    ):
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        write(tmp)
        tmp.replace(target)


def _from_cache(name: str, cache_dir: Path, reason: str) -> LoadedModel:
    model_file, note_file = cache_dir / f"{name}.joblib", cache_dir / f"{name}.json"
    if not (model_file.exists() and note_file.exists()):
        raise ModelUnavailable(
            f"{name}: registry failed ({reason}) and no cached copy in {cache_dir}"
        )
    note = json.loads(note_file.read_text())
    return LoadedModel(name, str(note["version"]), "cache", joblib.load(model_file))
