"""The report's what-if runs on the user's own network when the data is not simulated."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest

from pipelines.commands.report import CANONICAL_TABLES, COLUMNS_READ
from pipelines.tables import read_canonical_tables, table_path, write_canonical_tables
from pipelines.what_if_worlds import what_if_runs
from reports.whatif import WhatIf, calibrated_what_if_worlds, run_what_ifs
from simulation import SimulationConfig, SimulationResult, simulate
from simulation.calibration import calibrate
from simulation.world import World

CONFIG = SimulationConfig(seed=2, n_skus=20, n_locations=2, n_suppliers=4, n_days=120, n_customers=50)


@pytest.fixture(scope="module")
def world() -> SimulationResult:
    return simulate(CONFIG)


def _what_ifs(settings, tables):
    write_canonical_tables(tables, settings.canonical_dir)
    read = read_canonical_tables(settings.canonical_dir, CANONICAL_TABLES, COLUMNS_READ)
    return what_if_runs(settings, read, days=30)


def test_user_data_gets_a_what_if_on_a_world_calibrated_from_it(settings, world):
    runs, notes = _what_ifs(settings, world.tables)
    assert notes[1].startswith("Calibrated from your data:") and "supplier delay" in notes[1]
    assert [what_if.name for what_if, _ in runs] == [
        "baseline", "lead time -20%", "safety stock +10%", "offer substitutes"
    ]
    assert all(isinstance(setup, World) and setup.n_skus == CONFIG.n_skus for _, setup in runs)
    results = run_what_ifs(runs)
    assert [r["days"] for r in results] == [30, 30, 30, 30] and all(0 < r["fill_rate"] <= 1 for r in results)


def test_the_user_s_substitutes_are_the_calibrated_world_s(settings):
    """The calibrated world offers the substitutes of the user's table, by priority, and the
    substitution run ships short lines from them; without the table there is no such run."""
    world = simulate(replace(CONFIG, substitute_share=1.0))
    runs, notes = _what_ifs(settings, world.tables)
    calibrated = runs[-1][1]
    table = world.tables["sku_substitutes"].sort_values(["sku_id", "priority"])
    first = table.groupby("sku_id")["substitute_sku_id"].first()
    ids = calibrated.sku_ids
    offered = {ids[s]: ids[calibrated.substitutes[s, 0]] for s in range(len(ids)) if calibrated.substitutes[s, 0] >= 0}
    assert offered == first.to_dict() and f"substitutes: {len(first)} SKUs" in notes[1]
    calibration = calibrate(world.tables)
    slow = (WhatIf("slow", lead_time_scale=3.0), WhatIf("slow, substitutes", lead_time_scale=3.0, substitute=True))
    without_offer, with_offer = run_what_ifs(calibrated_what_if_worlds(calibration, 60, slow))
    assert without_offer["substituted_units"] == 0 < with_offer["substituted_units"]
    assert with_offer["backordered_units"] < without_offer["backordered_units"]
    without = {name: frame for name, frame in world.tables.items() if name != "sku_substitutes"}
    table_path(settings.canonical_dir, "sku_substitutes").unlink()
    runs, notes = _what_ifs(settings, without)
    assert [what_if.name for what_if, _ in runs][-1] == "safety stock +10%"
    assert "substitutes: none" in notes[1]


def test_a_simulated_world_reruns_its_own_config_unless_the_manifest_says_exports(settings, world):
    settings.canonical_dir.mkdir(parents=True, exist_ok=True)
    (settings.canonical_dir / "summary.json").write_text(json.dumps(world.summary()))
    runs, notes = _what_ifs(settings, world.tables)
    assert "the simulated world (seed 2, 20 SKUs)" in notes[0] and runs[0][1].seed == 2
    (settings.canonical_dir / "manifest.json").write_text(json.dumps({"source": "exports:/data/erp"}))
    _, notes = _what_ifs(settings, world.tables)
    assert notes[1].startswith("Calibrated from your data:")


def test_data_too_short_for_a_what_if_says_why(settings, world):
    orders = world.tables["orders"]
    early = orders[pd.to_datetime(orders["order_time"]) < pd.Timestamp(CONFIG.start_date) + pd.Timedelta(days=40)]
    lines = world.tables["order_lines"]
    runs, notes = _what_ifs(settings, {**world.tables, "orders": early,
                                       "order_lines": lines[lines["order_id"].isin(early["order_id"])]})
    assert runs == []
    assert notes == [notes[0]] and notes[0].startswith("Cannot run a what-if on this data because the order history")
