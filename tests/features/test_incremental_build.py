"""An incremental feature build, day by day, ends with the tables of one full build."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator

import pandas as pd
import pytest

from contracts.known_at import tables_known_at
from features.build import DEMAND_LONGEST_WINDOW, SUPPLIER_LONGEST_WINDOW
from features.feature_store import apply_definitions, online_features, open_store
from features.incremental import STORED_ORDER
from features.supplier import primary_suppliers
from pipelines.commands.features import BUILD_STAMP, materialize_latest, materialize_start, write_feature_tables
from pipelines.tables import read_feature_table, write_canonical_tables
from tests.features.conftest import START, make_world

HORIZON = 7
# Longer than every look-back, so the incremental build works on a part of the history.
DAYS = SUPPLIER_LONGEST_WINDOW + 40
FIRST_END = START + pd.Timedelta(days=DAYS - 9)
PRIMARY = primary_suppliers(make_world(days=1)["sku_suppliers"])


@pytest.fixture(scope="module")
def long_world() -> dict[str, pd.DataFrame]:
    """The tiny world over more than a year, with no sale of SKU-2 in the last months (so the
    days since its last sale reach back past every window)."""
    world = make_world(days=DAYS, seed=11)
    orders, lines = world["orders"], world["order_lines"]
    quiet = lines["order_id"].map(orders.set_index("order_id")["order_time"]) >= FIRST_END - pd.Timedelta(days=150)
    dropped = lines.loc[quiet & (lines["sku_id"] == "SKU-2"), "order_id"]
    world["orders"] = orders[~orders["order_id"].isin(dropped)].reset_index(drop=True)
    world["order_lines"] = lines[~lines["order_id"].isin(dropped)].reset_index(drop=True)
    return world


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def online_store(request: pytest.FixtureRequest) -> Iterator[Callable[[], dict[str, str]]]:
    """Settings of the online store under test, one Feast project per call (Redis keys removed
    afterwards)."""
    if request.param == "sqlite":
        yield dict
        return
    import redis

    projects: list[str] = []

    def redis_settings() -> dict[str, str]:
        projects.append(f"test_{uuid.uuid4().hex[:12]}")
        return {"online_store": "redis", "redis_connection_string": "127.0.0.1:6379", "feast_project": projects[-1]}

    yield redis_settings
    client = redis.Redis(host="127.0.0.1", port=6379)
    for project in projects:
        for key in client.scan_iter(b"*" + project.encode()):
            client.delete(key)
    client.close()


def _build(settings, tables: dict[str, pd.DataFrame]) -> dict[str, object]:
    write_canonical_tables(tables, settings.canonical_dir)
    write_feature_tables(settings, HORIZON, None, asof=False)
    return json.loads((settings.features_dir / BUILD_STAMP).read_text())


def _tables(settings) -> dict[str, pd.DataFrame]:
    return {name: read_feature_table(settings.features_dir, name) for name in STORED_ORDER}


def _online(settings) -> pd.DataFrame:
    keys = read_feature_table(settings.features_dir, "sku_location_features", columns=["sku_id", "location_id"])
    rows = keys.drop_duplicates().sort_values(["sku_id", "location_id"]).reset_index(drop=True)
    rows["supplier_id"] = rows["sku_id"].map(dict(zip(*[PRIMARY[k] for k in ("sku_id", "supplier_id")], strict=True)))
    return online_features(open_store(settings), rows, "sku_location_risk_v1")


@pytest.mark.slow
def test_a_week_of_daily_incremental_builds_and_loads_equals_one_full_build(
    settings, tmp_path, long_world, online_store
):
    assert DAYS > DEMAND_LONGEST_WINDOW + 7
    settings = settings.model_copy(update=online_store())
    first = _build(settings, tables_known_at(long_world, FIRST_END))
    assert first["plan"].startswith("full")
    apply_definitions(settings)
    materialize_latest(settings)
    month_files = sorted((settings.features_dir / "sku_location_features.parquet").glob("part-*.parquet"))
    written = {path.name: path.stat().st_mtime_ns for path in month_files}
    for day in range(1, 8):
        stamp = _build(settings, tables_known_at(long_world, FIRST_END + pd.Timedelta(days=day)))
        materialize_latest(settings)
        assert stamp["plan"].startswith("incremental"), stamp["plan"]
        assert f"days from {(FIRST_END + pd.Timedelta(days=day - HORIZON)).date()}" in stamp["plan"]
    incremental = _tables(settings)
    # Only the last months' files were rewritten; the older ones were left as they were.
    rewritten = [path.name for path in month_files if path.stat().st_mtime_ns != written[path.name]]
    assert rewritten == [path.name for path in month_files[-len(rewritten) :]] and 1 <= len(rewritten) <= 2

    full_settings = settings.model_copy(update={"data_dir": tmp_path / "full", **online_store()})
    full_stamp = _build(full_settings, tables_known_at(long_world, FIRST_END + pd.Timedelta(days=7)))
    assert full_stamp["plan"].startswith("full")
    full = _tables(full_settings)
    assert full_stamp["rows"] == stamp["rows"]
    for name in STORED_ORDER:  # same rows, values and order
        pd.testing.assert_frame_equal(incremental[name], full[name], check_exact=True, obj=name)
    # The week's new rows are there: features of the last day, labels up to the last day - H.
    assert full["sku_location_features"]["snapshot_date"].max() == FIRST_END + pd.Timedelta(days=7)
    assert full["sku_location_labels"]["snapshot_date"].max() == FIRST_END + pd.Timedelta(days=7 - HORIZON)
    # The online store loaded night by night serves what one load of the full build serves.
    apply_definitions(full_settings)
    materialize_latest(full_settings, full=True)
    pd.testing.assert_frame_equal(_online(settings), _online(full_settings), check_exact=True)
    quiet = full["sku_location_features"].query("sku_id == 'SKU-2'")["days_since_last_sale"]
    assert quiet.iloc[-1] > DEMAND_LONGEST_WINDOW


def test_a_changed_older_row_rebuilds_everything_and_says_why(settings, long_world):
    _build(settings, tables_known_at(long_world, FIRST_END))
    later = tables_known_at(long_world, FIRST_END + pd.Timedelta(days=1))
    snapshots = later["inventory_snapshots"].copy()
    snapshots.loc[0, "on_hand"] += 1  # a correction of the first day
    stamp = _build(settings, {**later, "inventory_snapshots": snapshots})
    assert stamp["plan"].startswith("full") and "changed" in stamp["plan"]
    stored = read_feature_table(settings.features_dir, "sku_location_features")
    first = stored[
        (stored["sku_id"] == snapshots.loc[0, "sku_id"]) & (stored["location_id"] == snapshots.loc[0, "location_id"])
    ]
    assert first.sort_values("snapshot_date")["on_hand"].iloc[0] == snapshots.loc[0, "on_hand"]


def test_another_horizon_rebuilds_everything(settings, long_world):
    _build(settings, tables_known_at(long_world, FIRST_END))
    write_canonical_tables(tables_known_at(long_world, FIRST_END + pd.Timedelta(days=1)), settings.canonical_dir)
    write_feature_tables(settings, HORIZON + 1, None, asof=False)
    stamp = json.loads((settings.features_dir / BUILD_STAMP).read_text())
    assert stamp["plan"].startswith("full") and "horizon" in stamp["plan"]


def test_a_load_starts_where_the_last_ended_unless_a_build_rewrote_earlier_rows():
    window, end = pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-02-10", tz="UTC")
    last = {"end": "2024-02-08T00:00:00+00:00", "build": "b3"}
    full = {"build": "b3", "changed_from": None}
    grown = {"changes": [full, {"build": "b4", "changed_from": "2024-02-09T00:00:00+00:00"}]}
    assert materialize_start(window, end, last, grown) == pd.Timestamp("2024-02-08", tz="UTC")
    relabelled = {"changes": [full, {"build": "b4", "changed_from": "2024-01-30T00:00:00+00:00"}]}
    assert materialize_start(window, end, last, relabelled) == pd.Timestamp("2024-01-30", tz="UTC")
    rebuilt = {"changes": [{"build": "b5", "changed_from": None}]}
    assert materialize_start(window, end, last, rebuilt) == window
    rebuilt_after = {"changes": [full, {"build": "b4", "changed_from": None}]}
    assert materialize_start(window, end, last, rebuilt_after) == window
    assert materialize_start(window, end, last, {}) == window
    assert materialize_start(window, end, None, grown) == window
    assert materialize_start(window, pd.Timestamp("2024-02-01", tz="UTC"), last, grown) == window
