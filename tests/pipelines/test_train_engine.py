"""``backorder train --engine``: where the classifiers and the demand model train, chosen on the
command line or in the settings. On an empty data folder each engine asks for its own inputs: the
local one for the feature tables Feast serves, the Dask one for the canonical tables it builds
its training set from."""

from __future__ import annotations

from typer.testing import CliRunner

from pipelines.cli import app


def _words(output: str) -> str:
    return " ".join(output.replace("│", " ").split())


def test_the_settings_engine_trains_the_order_line_classifier_from_the_canonical_tables(settings, monkeypatch):
    local = CliRunner().invoke(app, ["train", "risk"])
    assert local.exit_code == 2 and "backorder features build" in _words(local.output)

    monkeypatch.setenv("BACKORDER_ENGINE", "dask")
    on_dask = CliRunner().invoke(app, ["train", "risk"])
    assert on_dask.exit_code == 2
    assert "canonical table(s) inventory_snapshots" in _words(on_dask.output)
    assert "backorder features build" not in _words(on_dask.output)


def test_the_command_line_engine_overrides_the_settings(settings, monkeypatch):
    monkeypatch.setenv("BACKORDER_ENGINE", "dask")
    result = CliRunner().invoke(app, ["train", "risk", "--engine", "local"])
    assert result.exit_code == 2 and "backorder features build" in _words(result.output)


def test_an_unknown_engine_is_refused_with_the_choices(settings):
    result = CliRunner().invoke(app, ["train", "sku-risk", "--engine", "spark"])
    assert result.exit_code == 2
    assert "'spark' is not one of 'local', 'dask'" in _words(result.output)
