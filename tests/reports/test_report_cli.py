"""``backorder report`` without its inputs: exit code 2 and the command that produces what is missing."""

from __future__ import annotations

import mlflow
import pandas as pd
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.commands.report import CANONICAL_TABLES, FEATURE_TABLES


@pytest.fixture(autouse=True)
def _reset_tracking_uri():
    yield
    mlflow.set_tracking_uri(None)


def _touch(folder, names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        pd.DataFrame({"x": [1]}).to_parquet(folder / f"{name}.parquet")


@pytest.mark.slow
def test_report_names_the_command_for_each_missing_input(settings):
    runner = CliRunner()
    result = runner.invoke(app, ["report"])
    assert result.exit_code == 2
    assert "canonical table(s) skus" in result.output and "backorder simulate" in result.output

    _touch(settings.canonical_dir, CANONICAL_TABLES)
    result = runner.invoke(app, ["report"])
    assert result.exit_code == 2
    assert "sku_location_features" in result.output and "backorder features build" in result.output

    _touch(settings.features_dir, FEATURE_TABLES)
    result = runner.invoke(app, ["report", "--out", str(settings.root / "out")])
    assert result.exit_code == 2
    assert "champion of 'sku_location_risk' not found" in result.output
    assert "backorder train sku-risk" in result.output
    assert "backorder promote --model sku_location_risk" in result.output
    assert not (settings.root / "out").exists()
