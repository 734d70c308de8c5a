"""MLflow tracking and registry: one way to log a training run and register its model.

Every model of the project (``backorder_risk``, ``demand``, ``lead_time``) goes through
``log_training_run``: parameters, held-out metrics, plots, the feature list and feature
service, the identity of the training data, and the model with signature and input example.
The new version gets the alias ``challenger``; ``training.promotion`` decides about ``champion``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import joblib
import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from contracts.fingerprint import frame_fingerprint as frame_fingerprint  # the identity of training sets
from settings.third_party_output import library_prints_silenced

CHALLENGER = "challenger"
CHAMPION = "champion"
REFERENCE_DIR, REFERENCE_FILE = "reference", "reference.parquet"

# Requirements written with each model, instead of MLflow's slow and noisy inference.
_MODEL_REQUIREMENTS = ["lightgbm", "scikit-learn", "pandas", "numpy", "joblib"]
# Models are logged from code (that file defines the pyfunc model), not as pickled Python objects.
_MODEL_CODE = Path(__file__).with_name("estimator_pyfunc.py")


@dataclass(frozen=True)
class TrainingRecord:
    """Everything a training run reports, as plain data (pure training code returns this).

    ``holdout_period`` names the held-out data the ``metrics`` were computed on; promotion
    compares two versions only on the same period.
    """

    model_name: str
    params: Mapping[str, Any]
    metrics: Mapping[str, float]
    feature_names: tuple[str, ...]
    holdout_period: str
    data_identity: Mapping[str, str]
    feature_service: str | None = None
    figures: Mapping[str, Any] = field(default_factory=dict)  # name -> matplotlib Figure
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    # Held-out inputs with ``prediction`` (and ``label`` when known): monitoring's reference.
    reference: pd.DataFrame | None = None


def configure(tracking_uri: str, artifact_root: Path | str, experiment: str) -> str:
    """Point MLflow at the store and make sure the experiment exists; return its id.

    Called by pipelines at run time, never at import. The experiment gets an explicit artifact
    location (``experiment_location``) so artifacts do not land in the working directory; an
    experiment that exists keeps the location it was created with.
    """
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    if isinstance(artifact_root, Path):
        relocate_artifact_paths(tracking_uri, artifact_root)
    existing = mlflow.get_experiment_by_name(experiment)
    if existing is not None:
        return existing.experiment_id
    return mlflow.create_experiment(experiment, artifact_location=experiment_location(artifact_root, experiment))


def experiment_location(artifact_root: Path | str, experiment: str) -> str:
    """The artifact location of ``experiment``: its folder under a local ``artifact_root``, or its
    prefix under an object store URI (``s3://bucket/prefix``)."""
    if isinstance(artifact_root, Path):
        return (artifact_root / experiment).resolve().as_uri()
    return f"{artifact_root.rstrip('/')}/{experiment}"


# Columns of MLflow's SQL store that hold absolute artifact locations.
_LOCATION_COLUMNS = (
    ("experiments", "artifact_location"),
    ("runs", "artifact_uri"),
    ("logged_models", "artifact_location"),
    ("model_versions", "storage_location"),
)


def relocate_artifact_paths(tracking_uri: str, artifact_root: Path) -> int:
    """Point an embedded (SQLite) store's recorded artifact locations at ``artifact_root`` when
    the data folder was moved; the number of experiments moved.

    An experiment's location is rewritten only when it is a ``file:`` folder that no longer
    exists, with every run, logged model and version under it, so pipelines write new runs into
    the moved folder and read old ones from it. Other stores (PostgreSQL, a server) are left alone.
    """
    import sqlite3

    if not tracking_uri.startswith("sqlite:///"):
        return 0
    database = Path(tracking_uri.removeprefix("sqlite:///"))
    if not database.exists():
        return 0
    conn = sqlite3.connect(database, timeout=30)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "experiments" not in tables:
            return 0
        moves = [
            (old, experiment_location(artifact_root, name))
            for name, old in conn.execute("SELECT name, artifact_location FROM experiments")
            if old and old.startswith("file:") and not _file_path(old).exists()
        ]
        with conn:
            for old, new in moves:
                for table, column in _LOCATION_COLUMNS:
                    if table in tables:
                        conn.execute(
                            f"UPDATE {table} SET {column} = ? || substr({column}, ?) "
                            f"WHERE {column} = ? OR substr({column}, 1, ?) = ?",
                            (new, len(old) + 1, old, len(old) + 1, old + "/"),
                        )
    finally:
        conn.close()
    return len(moves)


def new_run(experiment_id: str, run_name: str) -> mlflow.ActiveRun:
    """Start a fresh run in ``experiment_id``.

    ``mlflow run`` exports the id of its own project run (possibly in another tracking store) to
    the step it launches, and a bare ``mlflow.start_run()`` would resume that run; creating the run
    first and starting it by id keeps every model run in the project's own store.
    """
    run = MlflowClient().create_run(experiment_id, run_name=run_name)
    return mlflow.start_run(run_id=run.info.run_id)


def log_training_run(
    record: TrainingRecord,
    estimator: Any,
    input_example: pd.DataFrame,
    experiment_id: str,
) -> ModelVersion:
    """Log the run, register the model under ``record.model_name`` and mark it ``challenger``."""
    with new_run(experiment_id, record.model_name) as run:
        mlflow.log_params({k: _param_value(v) for k, v in record.params.items()})
        mlflow.log_metrics({k: float(v) for k, v in record.metrics.items()})
        tags = {
            "holdout_period": record.holdout_period,
            "feature_service": record.feature_service or "",
            "model_name": record.model_name,
            **{f"data.{k}": v for k, v in record.data_identity.items()},
        }
        mlflow.set_tags(tags)
        mlflow.log_dict({"features": list(record.feature_names)}, "features.json")
        for name, figure in record.figures.items():
            mlflow.log_figure(figure, f"plots/{name}.png")
        for name, table in record.tables.items():
            mlflow.log_table(table, f"tables/{name}.json")
        with tempfile.TemporaryDirectory() as tmp:
            if record.reference is not None:
                reference_path = Path(tmp) / REFERENCE_FILE
                record.reference.to_parquet(reference_path, index=False)
                mlflow.log_artifact(str(reference_path), REFERENCE_DIR)
            path = Path(tmp) / "estimator.joblib"
            joblib.dump(estimator, path)
            example = input_example.head(5)
            signature = infer_signature(example, predict_scores(estimator, example))
            with library_prints_silenced():
                info = mlflow.pyfunc.log_model(
                    name="model",
                    python_model=str(_MODEL_CODE),
                    artifacts={"estimator": str(path)},
                    signature=signature,
                    input_example=example,
                    pip_requirements=_MODEL_REQUIREMENTS,
                    registered_model_name=record.model_name,
                )
    client = MlflowClient()
    version = str(info.registered_model_version)
    client.set_model_version_tag(record.model_name, version, "holdout_period", record.holdout_period)
    client.set_model_version_tag(record.model_name, version, "run_id", run.info.run_id)
    client.set_model_version_tag(
        record.model_name, version, "metrics", json.dumps(dict(record.metrics), sort_keys=True)
    )
    # The data identity on the version too, so a pipeline can find "same data, same recipe".
    for key, value in record.data_identity.items():
        client.set_model_version_tag(record.model_name, version, f"data.{key}", value)
    client.set_registered_model_alias(record.model_name, CHALLENGER, version)
    return client.get_model_version(record.model_name, version)


def _param_value(value: Any) -> Any:
    return value if isinstance(value, (int, float, str, bool)) else json.dumps(value, default=str)


def predict_scores(estimator: Any, frame: pd.DataFrame) -> Any:
    """Positive-class probability for classifiers, ``predict`` for everything else."""
    if hasattr(estimator, "predict_proba"):
        return estimator.predict_proba(frame)[:, 1]
    return estimator.predict(frame)


def alias_version(model_name: str, alias: str = CHAMPION) -> str | None:
    """The version number ``alias`` points at, or None when the model or the alias does not exist."""
    try:
        return str(MlflowClient().get_model_version_by_alias(model_name, alias).version)
    except MlflowException:
        return None


def load_alias(model_name: str, alias: str = CHAMPION, artifact_root: Path | str | None = None) -> Any:
    """The estimator behind ``models:/<name>@<alias>``, unwrapped from pyfunc.

    Loaded from the logged model's own artifact folder, not through the ``models:/`` URI (that
    path writes a ``registered_model_meta`` file into the artifact store), so loading only reads.
    With ``artifact_root``, a folder recorded under a data folder that has since moved is found
    under ``artifact_root`` (see ``model_artifact_location``).
    """
    model = mlflow.pyfunc.load_model(model_artifact_location(model_name, alias, artifact_root))
    return model.unwrap_python_model().model


def model_artifact_location(
    model_name: str, alias: str = CHAMPION, artifact_root: Path | str | None = None
) -> str:
    """Where the artifacts of the model behind ``alias`` are.

    The tracking store records absolute ``file://`` locations; when the recorded folder does not
    exist and it lies under its experiment's recorded location, the same relative path under a
    local ``artifact_root / <experiment name>`` is used (``configure`` lays experiments out that
    way), so a data folder can be moved or copied to another machine. Object store locations are
    used as recorded.
    """
    client = MlflowClient()
    version = client.get_model_version_by_alias(model_name, alias)
    if not str(version.source).startswith("models:/m-"):
        return f"models:/{model_name}@{alias}"
    logged = client.get_logged_model(version.source.removeprefix("models:/"))
    location = logged.artifact_location
    if not isinstance(artifact_root, Path) or not location.startswith("file:") or _file_path(location).exists():
        return location
    experiment = client.get_experiment(logged.experiment_id)
    recorded = experiment.artifact_location.rstrip("/")
    if not location.startswith(recorded + "/"):
        return location
    return experiment_location(artifact_root, experiment.name) + location[len(recorded):]


def _file_path(uri: str) -> Path:
    return Path(url2pathname(urlparse(uri).path))


def load_reference(model_name: str, alias: str = CHAMPION) -> pd.DataFrame:
    """The held-out reference frame logged with ``models:/<name>@<alias>`` (for drift checks)."""
    version = MlflowClient().get_model_version_by_alias(model_name, alias)
    with tempfile.TemporaryDirectory() as tmp:
        local = mlflow.artifacts.download_artifacts(
            run_id=version.run_id, artifact_path=f"{REFERENCE_DIR}/{REFERENCE_FILE}", dst_path=tmp
        )
        return pd.read_parquet(local)
