"""`backorder train ...` on a small simulated world: features -> Feast -> train -> MLflow registry."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.commands.train import MissingPrerequisite, train_model


@pytest.fixture(scope="module")
def world(featured_world):
    """A 20-SKU, 240-day world with features built, applied and materialized; cwd = its root."""
    from features.build import TIMESTAMP
    from features.feature_store import apply_definitions, materialize

    with featured_world("train_world", n_skus=20) as settings:
        store = apply_definitions(settings)
        end = pd.read_parquet(settings.features_dir / "sku_location_features.parquet")[TIMESTAMP].max()
        materialize(store, end.to_pydatetime() - timedelta(days=30), end.to_pydatetime())
        yield settings


def _version(model: str, alias: str = "challenger"):
    return MlflowClient().get_model_version_by_alias(model, alias)


@pytest.mark.slow
def test_risk_registers_a_servable_challenger_then_is_up_to_date(world):
    from features.feature_store import OnlineReader, open_store
    from features.order_line import request_feature_names
    from training.tracking import load_alias, load_reference

    outcome = train_model(world, "risk")
    assert outcome.startswith("backorder_risk v1 registered as challenger"), outcome
    version = _version("backorder_risk")
    metrics = MlflowClient().get_run(version.run_id).data.metrics
    assert {"pr_auc", "roc_auc", "brier", "baseline_rule.pr_auc", "baseline_logistic.pr_auc"} <= set(metrics)

    # The model scores exactly what serving builds: online features + request features.
    online = OnlineReader(open_store(world), "backorder_risk_v1").feature_names
    model = load_alias("backorder_risk", "challenger")
    assert list(model.feature_names_in_) == [*online, *request_feature_names()]
    reference = load_reference("backorder_risk", "challenger")
    assert {"prediction", "label"} <= set(reference.columns) and 0 < len(reference) <= 20_000
    proba = model.predict_proba(reference[list(model.feature_names_in_)])
    assert proba.shape == (len(reference), 2) and ((proba >= 0) & (proba <= 1)).all()

    assert train_model(world, "risk") == "up to date: backorder_risk v1"
    assert train_model(world, "risk", force=True).startswith("backorder_risk v2 registered")


@pytest.mark.slow
def test_forecasters_and_sku_risk_register_with_references(world):
    from training.tracking import load_reference

    for name, model, metric in (
        ("lead-time", "lead_time", "late_roc_auc"),
        ("sku-risk", "sku_location_risk", "pr_auc"),
        ("demand", "demand", "coverage_80"),
    ):
        outcome = train_model(world, name)
        assert f"{model} v1 registered as challenger" in outcome, outcome
        version = _version(model)
        assert metric in MlflowClient().get_run(version.run_id).data.metrics
        assert {"prediction", "label"} <= set(load_reference(model, "challenger").columns)
    artifacts = [a.path for a in MlflowClient().list_artifacts(_version("demand").run_id)]
    assert "backtest.md" in artifacts


@pytest.mark.slow
def test_promote_without_metric_uses_the_model_default(world, monkeypatch):
    monkeypatch.chdir(world.data_dir.parent)
    train_model(world, "lead-time")
    runner = CliRunner()
    first = runner.invoke(app, ["promote", "--model", "lead_time"])
    assert first.exit_code == 0, first.output
    assert "PROMOTED" in first.output and "no champion yet" in first.output

    train_model(world, "lead-time", force=True)  # same data: same pinball, not better
    second = runner.invoke(app, ["promote", "--model", "lead_time"])
    assert second.exit_code == 0, second.output
    assert "kept champion" in second.output and "pinball" in second.output

    compared = runner.invoke(app, ["evaluate", "--model", "lead_time"])
    assert compared.exit_code == 0, compared.output
    assert "challenger" in compared.output and "champion" in compared.output


def test_train_without_features_names_the_command_to_run(settings):
    with pytest.raises(MissingPrerequisite, match="backorder features build"):
        train_model(settings, "risk")
    result = CliRunner().invoke(app, ["train", "sku-risk"])
    assert result.exit_code == 2
    assert "backorder features build" in result.output
