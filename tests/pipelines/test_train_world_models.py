"""`backorder train ...` on a small simulated world: features -> Feast -> train -> MLflow registry."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from contracts.errors import MissingInput
from pipelines.cli import app
from pipelines.commands.evaluate import compare
from pipelines.commands.promote import promote_model
from pipelines.commands.train import train_model


@pytest.fixture(scope="module")
def world(featured_world):
    """A 12-SKU, 240-day world with features built, applied and materialized; cwd = its root."""
    from features.build import TIMESTAMP
    from features.feature_store import apply_definitions, materialize

    with featured_world("train_world", n_skus=12) as settings:
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
    assert (outcome.model_name, outcome.version, outcome.registered) == ("backorder_risk", "1", True)
    assert outcome.metrics["pr_auc"] > 0
    version = _version("backorder_risk")
    metrics = MlflowClient().get_run(version.run_id).data.metrics
    assert {"pr_auc", "roc_auc", "brier", "ece", "baseline_rule.pr_auc", "baseline_logistic.pr_auc"} <= set(metrics)

    # The model scores exactly what serving builds: online features + request features.
    online = OnlineReader(open_store(world), "backorder_risk_v1").feature_names
    model = load_alias("backorder_risk", "challenger")
    assert list(model.feature_names_in_) == [*online, *request_feature_names()]
    reference = load_reference("backorder_risk", "challenger")
    assert {"prediction", "label"} <= set(reference.columns) and 0 < len(reference) <= 20_000
    proba = model.predict_proba(reference[list(model.feature_names_in_)])
    assert proba.shape == (len(reference), 2) and ((proba >= 0) & (proba <= 1)).all()

    again = train_model(world, "risk")
    assert (again.version, again.registered) == ("1", False)  # same data and recipe: nothing trained
    forced = train_model(world, "risk", force=True)
    assert (forced.version, forced.registered) == ("2", True)
    assert str(_version("backorder_risk").version) == "2"


@pytest.mark.slow
def test_forecasters_and_sku_risk_register_with_references(world):
    from training.tracking import load_reference

    for name, model, metric in (
        ("lead-time", "lead_time", "late_roc_auc"),
        ("sku-risk", "sku_location_risk", "pr_auc"),
        ("demand", "demand", "coverage_80"),
    ):
        outcome = train_model(world, name)
        assert (outcome.model_name, outcome.version, outcome.registered) == (model, "1", True)
        version = _version(model)
        assert metric in MlflowClient().get_run(version.run_id).data.metrics
        assert {"prediction", "label"} <= set(load_reference(model, "challenger").columns)
    artifacts = [a.path for a in MlflowClient().list_artifacts(_version("demand").run_id)]
    assert "backtest.md" in artifacts
    # The gate compares the demand model with what serves without it, too.
    assert "baseline_RecentMean.pinball" in MlflowClient().get_run(_version("demand").run_id).data.metrics


@pytest.mark.slow
def test_promote_without_metric_uses_the_model_default(world, monkeypatch):
    monkeypatch.chdir(world.data_dir.parent)
    train_model(world, "lead-time")
    first = CliRunner().invoke(app, ["promote", "--model", "lead_time"])
    assert first.exit_code == 0, first.output
    assert str(_version("lead_time", "champion").version) == "1"

    train_model(world, "lead-time", force=True)  # same data: same pinball, not better
    decision = promote_model(world, "lead_time")
    assert (decision.metric, decision.promoted) == ("pinball", False)
    assert (decision.challenger_version, decision.champion_version) == ("2", "1")
    assert decision.challenger_score >= decision.champion_score  # pinball: lower is better
    assert str(_version("lead_time", "champion").version) == "1"

    comparison = compare("lead_time")
    assert {"challenger", "champion", "difference"} <= set(comparison.table.columns)
    assert comparison.table.loc["pinball", "difference"] >= 0
    compared = CliRunner().invoke(app, ["evaluate", "--model", "lead_time"])
    assert compared.exit_code == 0, compared.output


def test_train_without_features_names_the_command_to_run(settings):
    with pytest.raises(MissingInput, match="backorder features build"):
        train_model(settings, "risk")
    result = CliRunner().invoke(app, ["train", "sku-risk"])
    assert result.exit_code == 2
    assert "backorder features build" in result.output
