"""`backorder promote`: the gate run for one model or all of them, and its override."""

from __future__ import annotations

import json

import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.commands.evaluate import default_metric
from pipelines.commands.train import MODEL_OF
from training.tracking import configure

LOSER = "lead_time"


def _register_challenger(settings, model: str, beats_baseline: bool) -> None:
    """A version of ``model`` whose logged metric beats (or loses to) its one baseline."""
    configure(settings.tracking_uri, settings.artifact_root, model)
    metric, higher = default_metric(model)
    score, baseline = (0.6, 0.5) if beats_baseline == higher else (0.5, 0.6)
    client = MlflowClient()
    client.create_registered_model(model)
    version = client.create_model_version(
        model,
        source=str(settings.artifact_root / model),
        tags={"metrics": json.dumps({metric: score, f"baseline_naive.{metric}": baseline}),
              "holdout_period": "2024-05-01..2024-05-31"},
    )
    client.set_registered_model_alias(model, "challenger", version.version)


@pytest.fixture
def registry(settings):
    for model in MODEL_OF.values():
        _register_challenger(settings, model, beats_baseline=model != LOSER)
    return settings


def _champion(model: str) -> str | None:
    champion = MlflowClient().get_registered_model(model).aliases.get("champion")
    return None if champion is None else str(champion)


def test_promote_all_runs_the_gate_for_every_model(registry):
    result = CliRunner().invoke(app, ["promote", "--all"])
    assert result.exit_code == 0, result.output
    champions = {model: _champion(model) for model in MODEL_OF.values()}
    assert champions == {model: None if model == LOSER else "1" for model in MODEL_OF.values()}


def test_force_with_a_reason_promotes_and_records_the_override(registry):
    argv = ["promote", "--model", LOSER, "--force", "--reason", "baseline reads the future", "--by", "ana"]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert _champion(LOSER) == "1"
    tags = MlflowClient().get_model_version(LOSER, "1").tags
    assert (tags["forced_promotion.reason"], tags["forced_promotion.by"]) == ("baseline reads the future", "ana")
    assert json.loads(tags["forced_promotion.scores"]) == {"challenger": 0.6, "champion": None, "baseline_naive": 0.5}


@pytest.mark.parametrize(
    "argv",
    [["--model", LOSER, "--force"], ["--model", LOSER, "--force", "--reason", " "], ["--all", "--model", LOSER], []],
)
def test_force_without_a_reason_or_no_model_is_a_usage_error(registry, argv):
    result = CliRunner().invoke(app, ["promote", *argv])
    assert result.exit_code == 2
    assert _champion(LOSER) is None
