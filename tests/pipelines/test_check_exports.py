"""`backorder check --exports`: readiness of an export folder as the ingest would accept it."""

from __future__ import annotations

from typer.testing import CliRunner

from pipelines.cli import app


def test_current_stock_only_is_checked_on_the_rebuilt_history(tmp_path, monkeypatch):
    from pipelines.commands.simulate import validated_tables
    from simulation import scenario_config, simulate

    monkeypatch.chdir(tmp_path)
    exports = tmp_path / "exports"
    exports.mkdir()
    tables = validated_tables(simulate(scenario_config("baseline", seed=0, n_skus=6, n_days=150)))
    snapshots = tables["inventory_snapshots"]
    tables["inventory_snapshots"] = snapshots[snapshots["snapshot_date"] == snapshots["snapshot_date"].max()]
    for name, frame in tables.items():
        frame.to_csv(exports / f"{name}.csv", index=False)

    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "check", "--exports", str(exports)])

    assert result.exit_code == 0, result.output
    ingest, readiness = result.output.split("\ntable ", 2)[1:]
    assert ingest.splitlines()[0].split() == ["read", "accepted", "quarantined", "source"]
    assert "inventory_snapshots rebuilt from the stock of" in ingest
    line = next(row for row in readiness.splitlines() if row.startswith("inventory_snapshots"))
    first, last = line.split()[-3], line.split()[-1]
    assert first < last  # a daily history, not the one exported day
    assert "demand: can train" in result.output
    assert not (tmp_path / "data").exists()  # the data folder is untouched
