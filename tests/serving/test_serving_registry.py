"""Start-up on a real MLflow registry: the champion is loaded, cached, and used when it is gone."""

from __future__ import annotations

import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient

from serving.runtime import DEMAND, RISK, production_components
from serving.supply import FrameSupply
from training.tracking import CHAMPION, TrainingRecord, configure, log_training_run


@pytest.mark.slow
def test_champion_from_registry_then_from_cache(service_settings, risk_model, stock, inbound):
    configure(service_settings.tracking_uri, service_settings.artifact_root, "serving-test")
    record = TrainingRecord(
        model_name=RISK,
        params={"n_estimators": 40},
        metrics={"auc": 0.7},
        feature_names=tuple(risk_model.feature_names_in_),
        holdout_period="2026-02",
        data_identity={"train": "generated"},
    )
    example = pd.DataFrame(
        [[1.0] * risk_model.n_features_in_], columns=list(risk_model.feature_names_in_)
    )
    experiment = mlflow.get_experiment_by_name("serving-test").experiment_id
    version = log_training_run(record, risk_model, example, experiment)
    MlflowClient().set_registered_model_alias(RISK, CHAMPION, version.version)
    supply = FrameSupply(stock, inbound)

    first = production_components(service_settings, supply=supply)
    assert (first.models[RISK].source, first.models[RISK].version) == ("registry", "1")
    assert DEMAND not in first.models and any(n.startswith(DEMAND) for n in first.notes)
    assert first.reader is None and any("feature store" in n for n in first.notes)

    gone = service_settings.model_copy(
        update={"mlflow_tracking_uri": f"sqlite:///{service_settings.root}/no/such/dir/x.db"}
    )
    second = production_components(gone, supply=supply)
    assert (second.models[RISK].source, second.models[RISK].version) == ("cache", "1")
    proba = second.models[RISK].estimator.predict_proba(example)[:, 1]
    assert proba == pytest.approx(risk_model.predict_proba(example)[:, 1])
    mlflow.set_tracking_uri(None)
