"""The `backorder` command line itself: a light start, one way of reporting user errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from pipelines.cli import app

HEAVY = ("pandas", "numpy", "mlflow", "lightgbm", "sklearn", "feast", "evidently", "bentoml", "dask")


def test_importing_the_cli_loads_no_heavy_library():
    code = f"import json, sys, pipelines.cli; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(loaded.stdout) == []


@pytest.mark.parametrize("argv", [["--help"], ["benchmark", "--help"], ["train", "risk", "--help"]])
def test_help_loads_no_heavy_library(argv):
    code = (
        "import json, sys\nfrom typer.testing import CliRunner\nfrom pipelines.cli import app\n"
        f"assert CliRunner().invoke(app, {argv!r}).exit_code == 0\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(loaded.stdout) == []


def test_a_missing_input_is_one_line_and_exit_code_2(settings):
    result = CliRunner().invoke(app, ["train", "lead-time"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "Traceback" not in result.output
    assert "purchase_orders" in result.output and "backorder simulate" in result.output


def test_a_missing_settings_file_is_a_user_error(tmp_path):
    result = CliRunner().invoke(app, ["--config", str(tmp_path / "nope.yaml"), "train", "demand"])
    assert result.exit_code == 2
    assert "nope.yaml" in result.output


def test_an_unexpected_error_is_not_hidden(settings, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("pipelines.commands.train.train_model", broken)
    result = CliRunner().invoke(app, ["train", "demand"])
    assert result.exit_code == 1
    assert isinstance(result.exception, ZeroDivisionError)


def test_bad_cutoffs_are_a_usage_error(settings):
    result = CliRunner().invoke(app, ["train", "risk", "--cutoffs", "2025-01-01,2025-02-01"])
    assert result.exit_code == 2
    assert "--cutoffs" in result.output


def test_an_invalid_setting_is_one_line_naming_the_field(tmp_path):
    config = tmp_path / "typo.yaml"
    config.write_text("online_store: cassandra\n")
    result = CliRunner().invoke(app, ["--config", str(config), "features", "apply"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "online_store" in result.output
