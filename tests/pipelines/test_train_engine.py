"""``backorder train --engine``: where the classifiers train, chosen on the command line."""

from __future__ import annotations

from typer.testing import CliRunner

from pipelines.cli import app


def _words(output: str) -> str:
    return " ".join(output.replace("│", " ").split())


def test_the_order_line_classifier_refuses_the_dask_engine_and_says_what_to_use(settings):
    result = CliRunner().invoke(app, ["train", "risk", "--engine", "dask"])
    assert result.exit_code == 2
    assert "request features" in _words(result.output) and "--engine local" in _words(result.output)


def test_an_unknown_engine_is_refused_with_the_choices(settings):
    result = CliRunner().invoke(app, ["train", "sku-risk", "--engine", "spark"])
    assert result.exit_code == 2
    assert "'spark' is not one of 'local', 'dask'" in _words(result.output)
