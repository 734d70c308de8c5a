"""`backorder run` stops before ingesting when the exports can train nothing or belong to another world."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pipelines.cli import app


@pytest.fixture(scope="module")
def short_exports(tmp_path_factory):
    """A 60-day simulated world as CSV exports: too short for every model."""
    from pipelines.commands.simulate import validated_tables
    from simulation import scenario_config, simulate

    folder = tmp_path_factory.mktemp("short")
    for name, frame in validated_tables(simulate(scenario_config("baseline", seed=0, n_skus=8, n_days=60))).items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def test_exports_that_can_train_nothing_stop_the_run_before_the_ingest(short_exports, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["run", "--exports", str(short_exports), "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 1
    assert "the exports can train no model" in result.output
    assert "lead_time: 59 days of purchase_orders.order_date, needs 120" in result.output
    assert not (tmp_path / "data" / "canonical").exists()


def test_exports_of_another_world_are_refused_unless_replaced(short_exports, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = str(tmp_path / "data")
    assert CliRunner().invoke(app, ["--data-dir", data, "simulate", "--skus", "5", "--days", "30"]).exit_code == 0
    result = CliRunner().invoke(app, ["run", "--exports", str(short_exports), "--data-dir", data])
    assert result.exit_code == 2
    assert "holds the world of simulation:" in result.output and "--replace" in result.output
