"""`backorder simulate` as a user runs it: Parquet per canonical table plus a JSON summary."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from contracts.tables import TABLE_ORDER
from contracts.validation import validate_table
from pipelines.cli import app

SMALL = ["--skus", "8", "--locations", "2", "--suppliers", "3", "--days", "60"]


def test_simulate_writes_every_table_and_a_summary(tmp_path):
    out = tmp_path / "sim"
    result = CliRunner().invoke(
        app,
        ["simulate", "--out", str(out), "--seed", "5", "--scenario", "supplier_disruption", *SMALL],
    )
    assert result.exit_code == 0, result.output
    assert "fill rate" in result.output
    for name in TABLE_ORDER:
        frame = pd.read_parquet(out / f"{name}.parquet")
        assert validate_table(name, frame).quarantined.empty
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["cost"]) == {
        "holding",
        "backorder_penalty",
        "transfer",
        "expedite",
        "purchase",
    }
    assert 0 < summary["fill_rate"] <= 1
    assert summary["config"]["knobs"]["disruption_frequency"] == 4.0
    assert summary["config"]["seed"] == 5


def test_knob_options_override_the_scenario(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--out",
            str(tmp_path),
            "--scenario",
            "long_lead_times",
            "--lead-time-scale",
            "3",
            *SMALL,
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "summary.json").read_text())["config"]["knobs"]["lead_time_scale"] == 3.0


def test_unknown_scenario_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path), "--scenario", "chaos"])
    assert result.exit_code == 2
    assert "unknown scenario 'chaos'" in result.output
    assert not (tmp_path / "summary.json").exists()


def test_root_data_dir_option_decides_where_the_world_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BACKORDER_DATA_DIR", str(tmp_path / "from_env"))
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "chosen"), "simulate", *SMALL])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "chosen" / "canonical" / "summary.json").exists()
    assert not (tmp_path / "from_env").exists() and not (tmp_path / "data").exists()


def test_data_dir_variable_still_applies_without_the_option(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BACKORDER_DATA_DIR", str(tmp_path / "from_env"))
    result = CliRunner().invoke(app, ["simulate", *SMALL])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "from_env" / "canonical" / "order_lines.parquet").exists()


def test_scale_multiplies_skus_and_suppliers_of_the_default_world(tmp_path):
    out = tmp_path / "sim"
    result = CliRunner().invoke(
        app, ["simulate", "--out", str(out), "--scale", "0.04", "--locations", "2", "--days", "60"]
    )
    assert result.exit_code == 0, result.output
    config = json.loads((out / "summary.json").read_text())["config"]
    assert (config["n_skus"], config["n_suppliers"], config["n_locations"]) == (12, 2, 2)
    assert pd.read_parquet(out / "skus.parquet")["sku_id"].nunique() == 12


def test_scaled_world_size_keeps_skus_per_supplier():
    from simulation.config import SimulationConfig, scaled_world_size

    assert scaled_world_size(1) == {"n_skus": 300, "n_suppliers": 15}
    assert scaled_world_size(20) == {"n_skus": 6000, "n_suppliers": 300}
    assert (SimulationConfig().n_skus, SimulationConfig().n_suppliers) == (300, 15)


def test_bad_scale_is_a_clear_error(tmp_path):
    for bad in (["--scale", "0"], ["--scale", "2", "--skus", "10"]):
        result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path), *bad])
        assert result.exit_code == 2
        assert "scale" in result.output
    assert not (tmp_path / "summary.json").exists()


def _small_world():
    from simulation import scenario_config, simulate

    return simulate(scenario_config("baseline", seed=3, n_skus=8, n_locations=2, n_suppliers=3, n_days=60))


def test_validation_in_pieces_gives_the_tables_validated_whole():
    from pipelines.commands.simulate import validated_pieces

    world = _small_world()
    whole: dict[str, pd.DataFrame] = {}
    for name in TABLE_ORDER:
        whole[name] = validate_table(name, world.tables[name], parents=whole).accepted
    pieces: dict[str, list[pd.DataFrame]] = {}
    for name, rows in validated_pieces(_small_world(), chunk_rows=50):
        pieces.setdefault(name, []).append(rows)
    assert len(pieces["order_lines"]) > 1
    assert set(pieces) == set(whole)
    for name, frame in whole.items():
        pd.testing.assert_frame_equal(pd.concat(pieces[name]), frame)


def test_a_key_repeated_in_another_piece_stops_the_simulation():
    import pytest

    from contracts.errors import ContractError
    from pipelines.commands.simulate import validated_pieces

    result = _small_world()
    lines = result.tables["order_lines"]
    result.tables["order_lines"] = pd.concat([lines, lines.iloc[:1]], ignore_index=True)
    with pytest.raises(ContractError, match="order_lines: 1 row.*repeat a key"):
        for _ in validated_pieces(result, chunk_rows=50):
            pass
