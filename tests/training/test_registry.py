"""Runs are logged, versions registered as challenger, and champion moves only on merit."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from tests.conftest import throwaway_database
from training.promotion import BaselineComparison, promote_challenger, promotion_history
from training.tracking import (
    TrainingRecord,
    configure,
    frame_fingerprint,
    load_alias,
    load_reference,
    log_training_run,
)


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped after the test; yields its SQLAlchemy URI."""
    with throwaway_database(f"mlflow_test_{uuid.uuid4().hex[:12]}") as uri:
        try:
            yield uri
        finally:
            mlflow.set_tracking_uri(None)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def tracking_uri(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mlflow.db'}"
    return request.getfixturevalue("postgres_database")

MODEL = "backorder_risk"


def _data(seed: int, n: int = 400) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"cover_days": rng.normal(size=n), "supplier_delay": rng.normal(size=n)})
    y = (X["cover_days"] * -2 + rng.normal(scale=0.5, size=n) > 0).astype(int).to_numpy()
    return X, y


def _train(features: list[str], holdout: str, seed: int = 0, baseline_auc: float = 0.5):
    X, y = _data(seed)
    X_test, y_test = _data(seed + 100)
    model = LogisticRegression().fit(X[features], y)
    auc = roc_auc_score(y_test, model.predict_proba(X_test[features])[:, 1])
    record = TrainingRecord(
        model_name=MODEL,
        params={"features": features, "C": 1.0},
        metrics={"roc_auc": auc, "baseline_constant.roc_auc": baseline_auc, "baseline_constant.brier": 0.2},
        feature_names=tuple(features),
        holdout_period=holdout,
        data_identity={"train": frame_fingerprint(X)},
        feature_service="backorder_risk_v1",
    )
    return record, model, X[features]


class _ColumnPicker:
    """Wraps a model so it can be scored on a frame with more columns than it uses."""

    def __init__(self, model, features):
        self.model, self.features = model, features

    def predict_proba(self, frame):
        return self.model.predict_proba(frame[self.features])


@pytest.fixture
def experiment(tracking_uri, tmp_path):
    yield configure(tracking_uri, tmp_path / "artifacts", "backorder_risk")
    mlflow.set_tracking_uri(None)


def _log(features, holdout, experiment, baseline_auc: float = 0.5):
    record, model, X = _train(features, holdout, baseline_auc=baseline_auc)
    return log_training_run(record, _ColumnPicker(model, features), X, experiment)


@pytest.mark.slow
def test_run_is_logged_with_metrics_features_and_data_identity(experiment):
    version = _log(["cover_days"], "2024-05", experiment)
    run = MlflowClient().get_run(version.tags["run_id"])
    assert run.data.metrics["roc_auc"] > 0.8
    assert run.data.tags["feature_service"] == "backorder_risk_v1"
    assert len(run.data.tags["data.train"]) == 16
    features = mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/features.json")
    assert features == {"features": ["cover_days"]}
    assert MlflowClient().get_model_version_by_alias(MODEL, "challenger").version == version.version


@pytest.mark.slow
def test_champion_moves_only_to_a_better_challenger_and_history_is_kept(experiment):
    _log(["cover_days"], "2024-05", experiment)
    first = promote_challenger(MODEL, "roc_auc", now=datetime(2024, 6, 1, tzinfo=UTC))
    assert first.promoted and first.champion_version is None

    _log(["supplier_delay"], "2024-05", experiment)  # uninformative feature: worse
    worse = promote_challenger(MODEL, "roc_auc", now=datetime(2024, 6, 2, tzinfo=UTC))
    assert not worse.promoted and "does not beat" in worse.reason
    assert str(MlflowClient().get_model_version_by_alias(MODEL, "champion").version) == "1"

    _log(["cover_days", "supplier_delay"], "2024-05", experiment)
    _log(["cover_days"], "2024-06", experiment)  # measured on another period
    refused = promote_challenger(MODEL, "roc_auc", now=datetime(2024, 6, 3, tzinfo=UTC))
    assert not refused.promoted and "not comparable" in refused.reason

    X_test, y_test = _data(7)

    def evaluate(model) -> dict[str, float]:
        return {"roc_auc": roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])}

    rescored = promote_challenger(
        MODEL, "roc_auc", min_improvement=0.5, evaluate=evaluate, now=datetime(2024, 6, 4, tzinfo=UTC)
    )
    assert not rescored.promoted and "re-scored" in rescored.reason

    history = promotion_history(MODEL)
    assert history["version"].tolist() == [1]
    assert history["champion_until"].isna().all()


@pytest.mark.slow
def test_a_challenger_that_loses_to_its_baseline_is_not_promoted(experiment):
    _log(["cover_days"], "2024-05", experiment, baseline_auc=0.999)
    decision = promote_challenger(MODEL, "roc_auc", now=datetime(2024, 6, 1, tzinfo=UTC))
    score = decision.challenger_score
    assert not decision.promoted and decision.champion_version is None
    assert decision.baselines == (BaselineComparison("constant", score, 0.999, beaten=False),)
    assert "constant" in decision.reason and "0.9990" in decision.reason and f"{score:.4f}" in decision.reason
    assert promotion_history(MODEL).empty

    _log(["cover_days"], "2024-05", experiment, baseline_auc=0.6)
    winner = promote_challenger(MODEL, "roc_auc", now=datetime(2024, 6, 2, tzinfo=UTC))
    assert winner.promoted and winner.baselines[0].beaten and winner.override is None
    assert promotion_history(MODEL)["version"].tolist() == [2]

    # Beating the champion is not enough: the baseline is beaten first.
    _log(["cover_days", "supplier_delay"], "2024-05", experiment, baseline_auc=0.999)
    kept = promote_challenger(MODEL, "roc_auc", now=datetime(2024, 6, 3, tzinfo=UTC))
    assert not kept.promoted and kept.champion_version == "2" and not kept.baselines[0].beaten
    assert promotion_history(MODEL)["version"].tolist() == [2]


@pytest.mark.slow
def test_a_forced_promotion_records_who_why_when_and_the_scores_it_overrode(experiment):
    _log(["cover_days"], "2024-05", experiment, baseline_auc=0.999)
    decision = promote_challenger(
        MODEL, "roc_auc", now=datetime(2024, 6, 1, tzinfo=UTC), force_reason="rule baseline leaks", forced_by="ana"
    )
    assert decision.promoted and not decision.baselines[0].beaten
    assert (decision.override.reason, decision.override.by) == ("rule baseline leaks", "ana")
    assert "constant" in decision.override.overridden
    tags = MlflowClient().get_model_version(MODEL, "1").tags
    assert tags["forced_promotion.reason"] == "rule baseline leaks"
    assert tags["forced_promotion.by"] == "ana"
    assert tags["forced_promotion.at"] == "2024-06-01T00:00:00+00:00"
    scores = json.loads(tags["forced_promotion.scores"])
    assert scores["baseline_constant"] == 0.999 and scores["challenger"] == decision.challenger_score
    assert str(MlflowClient().get_model_version_by_alias(MODEL, "champion").version) == "1"


@pytest.mark.slow
def test_history_shows_which_version_served_when(experiment):
    _log(["supplier_delay"], "2024-05", experiment)
    promote_challenger(MODEL, "roc_auc", now=datetime(2024, 6, 1, tzinfo=UTC))
    _log(["cover_days"], "2024-05", experiment)
    decision = promote_challenger(MODEL, "roc_auc", now=datetime(2024, 7, 1, tzinfo=UTC))
    assert decision.promoted
    history = promotion_history(MODEL)
    assert history.to_dict("records") == [
        {"version": 1, "champion_since": "2024-06-01T00:00:00+00:00",
         "champion_until": "2024-07-01T00:00:00+00:00", "holdout_period": "2024-05"},
        {"version": 2, "champion_since": "2024-07-01T00:00:00+00:00",
         "champion_until": None, "holdout_period": "2024-05"},
    ]
    champion = load_alias(MODEL)
    X, _ = _data(3)
    assert champion.predict_proba(X).shape == (len(X), 2)
    tags = MlflowClient().get_model_version(MODEL, "2").tags
    assert any(json.loads(v)["promoted"] for k, v in tags.items() if k.startswith("promotion_decision"))


@pytest.mark.slow
def test_reference_frame_logged_with_a_version_is_what_monitoring_reads_back(experiment):
    record, model, X = _train(["cover_days"], "2024-05")
    reference = X.assign(prediction=model.predict_proba(X)[:, 1])
    record = dataclasses.replace(record, reference=reference)
    log_training_run(record, _ColumnPicker(model, ["cover_days"]), X, experiment)
    pd.testing.assert_frame_equal(load_reference(MODEL, "challenger"), reference)
