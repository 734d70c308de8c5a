"""A data folder can be moved: the service started from its new place loads the champion from
the moved artifact store (not the old absolute paths the tracking store recorded), without
writing into it, and scores."""

from __future__ import annotations

import shutil

import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient
from serving_helpers import KEYS, TODAY, auth, order

from serving.runtime import RISK, build_runtime, production_components
from serving.scoring import FrameFeatureReader
from serving.supply import FrameSupply
from settings import load_settings
from training.tracking import CHAMPION, TrainingRecord, configure, log_training_run


def _tree(folder) -> dict[str, int]:
    """Every file under ``folder`` with its modification time (ns)."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def trained_folder(tmp_path, monkeypatch, risk_model):
    """A data folder with the risk model registered as champion in its embedded MLflow store."""
    monkeypatch.delenv("BACKORDER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = load_settings(data_dir=tmp_path / "original", api_keys=KEYS)
    experiment = configure(settings.tracking_uri, settings.artifact_root, RISK)
    names = tuple(risk_model.feature_name_)
    example = pd.DataFrame([[1.0] * len(names)], columns=list(names))
    record = TrainingRecord(
        model_name=RISK, params={}, metrics={"pr_auc": 0.5}, feature_names=names,
        holdout_period="2026-02", data_identity={},
    )
    version = log_training_run(record, risk_model, example, experiment)
    MlflowClient().set_registered_model_alias(RISK, CHAMPION, version.version)
    yield settings.data_dir
    mlflow.set_tracking_uri(None)


@pytest.mark.slow  # trains, registers and loads through MLflow
def test_the_service_scores_from_a_moved_data_folder_without_writing_artifacts(
    trained_folder, tmp_path, client, stock, inbound, online_table
):
    from serving.service import app

    moved = shutil.move(trained_folder, tmp_path / "elsewhere" / "data")
    settings = load_settings(data_dir=moved, api_keys=KEYS)
    artifacts_before = _tree(settings.artifact_root)

    components = production_components(settings, supply=FrameSupply(stock, inbound), today=lambda: TODAY)
    assert components.models[RISK].source == "registry" and components.models[RISK].version == "1"
    components.reader = FrameFeatureReader(online_table)  # no Feast repository in this test
    runtime = build_runtime(settings, components, today=lambda: TODAY)
    app.state.runtime = runtime
    scored = client.post("/v1/score", json=order(2), headers=auth("oms-key"))
    runtime.close()

    assert scored.status_code == 200, scored.text
    assert scored.json()["model_version"] == f"{RISK}/1"
    assert not trained_folder.exists()
    assert _tree(settings.artifact_root) == artifacts_before  # loading wrote nothing there


@pytest.mark.slow
def test_pipelines_read_and_write_runs_in_the_moved_folder(trained_folder, tmp_path):
    moved = shutil.move(trained_folder, tmp_path / "elsewhere" / "data")
    settings = load_settings(data_dir=moved, api_keys=KEYS)
    experiment = configure(settings.tracking_uri, settings.artifact_root, RISK)
    new_root = settings.artifact_root.resolve().as_uri()
    assert MlflowClient().get_experiment(experiment).artifact_location.startswith(new_root)
    run_id = MlflowClient().get_model_version_by_alias(RISK, CHAMPION).run_id
    run = MlflowClient().get_run(run_id)
    assert run.info.artifact_uri.startswith(new_root)
    assert mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/features.json")["features"]
    assert not trained_folder.exists()  # nothing was written at the old place
