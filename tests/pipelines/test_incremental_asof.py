"""`features asof` run day after day on tables that only grow extends its outputs (new origins,
due refits, new PO lines) and ends with exactly what one run on the last day's tables gives;
a change to rows it already used makes it start over, and the stamp says so."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from pipelines.asof_outputs import ASOF_FILES, write_asof_outputs
from settings import load_settings
from simulation import SimulationConfig
from simulation.engine import advance
from simulation.policy import BaselinePolicy
from simulation.run import checkpoint
from training.recipes import AsOfJob, DemandJob

CUTOFF, DAYS = 118, 7
# Origins every 4 days and demand refits every 16 from day 27, lead-time refits every 14 from day
# 22 (the first PO's day plus 22). The added week brings two origins (day 119, from the refit of
# day 107 fitted by an earlier run, and day 123, from the refit due that day), a lead-time refit
# (day 120) and new PO lines.
JOB = AsOfJob(
    demand=DemandJob(history_days=35, num_boost_round=20),
    forecast_every_days=4,
    demand_refit_days=16,
    demand_min_history_days=28,
    lead_time_refit_days=14,
    lead_time_min_history_days=22,
)


@pytest.fixture(scope="module")
def daily_tables() -> list[dict[str, pd.DataFrame]]:
    """Canonical tables as known at the cut-off and at each of the following days."""
    point = checkpoint(SimulationConfig(seed=5, n_skus=20, n_days=CUTOFF + 30), CUTOFF)
    state, policy = point.state.copy(), BaselinePolicy.from_config(point.config)
    known = [point.history_tables()]
    for day in range(CUTOFF + 1, CUTOFF + DAYS + 1):
        advance(state, point.world, point.demand, point.draws, policy, day)
        known.append(replace(point, state=state.copy()).history_tables())
    return known


def _write_canonical(settings, tables: dict[str, pd.DataFrame]) -> None:
    settings.canonical_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_parquet(settings.canonical_dir / f"{name}.parquet", index=False)


def _outputs(settings) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(settings.asof_dir / file) for name, file in ASOF_FILES.items()}


@pytest.mark.slow
def test_day_by_day_runs_end_where_one_full_run_does(daily_tables, tmp_path: Path):
    daily = load_settings(data_dir=tmp_path / "daily")
    stamps = []
    for tables in daily_tables:
        _write_canonical(daily, tables)
        stamps.append(write_asof_outputs(daily, JOB))
    assert stamps[0]["mode"] == {"forecasts": "full", "po_etas": "full"}
    assert all(s["mode"] == {"forecasts": "incremental", "po_etas": "incremental"} for s in stamps[1:])
    added = [s["added"] for s in stamps[1:]]
    assert sum(a["forecasts"]["origins"] for a in added) == 2  # each forecast once the next day is known
    assert sum(a["forecasts"]["refits"] for a in added) == 1  # the refit due on day 123, fitted once
    assert sum(a["po_etas"]["refits"] for a in added) == 1
    assert sum(a["po_etas"]["po_lines"] for a in added) > 0
    first, last = (t["purchase_orders"].set_index("po_id")["received_date"] for t in daily_tables[::DAYS])
    assert last.reindex(first.index)[first.isna()].notna().any()  # lines open at the cut-off received since

    full = load_settings(data_dir=tmp_path / "full")
    _write_canonical(full, daily_tables[-1])
    stamp = write_asof_outputs(full, JOB, force=True)
    assert stamp["full_because"] == {"forecasts": "forced", "po_etas": "forced"}
    incremental, whole = _outputs(daily), _outputs(full)
    for name in ASOF_FILES:
        pd.testing.assert_frame_equal(incremental[name], whole[name], check_exact=False, rtol=1e-9, atol=1e-9)
    assert stamps[-1]["rows"] == stamp["rows"] and stamps[-1]["refits"] == stamp["refits"]

    # An order line of the first week changes: the forecasts start over, the ETAs (which do not
    # read order lines) are still extended.
    lines = daily_tables[-1]["order_lines"].copy()
    lines.loc[0, "quantity"] += 5
    _write_canonical(daily, {**daily_tables[-1], "order_lines": lines})
    redone = write_asof_outputs(daily, JOB)
    assert redone["mode"] == {"forecasts": "full", "po_etas": "incremental"}
    assert redone["full_because"]["forecasts"].startswith("canonical rows up to")
    assert redone["added"]["po_etas"] == {"po_lines": 0, "refits": 0}

    # A receipt of the first weeks is corrected: the refits' history changed, the ETAs start over.
    orders = daily_tables[-1]["purchase_orders"].copy()
    received = orders.index[orders["received_date"].notna()][0]
    orders.loc[received, "received_date"] = pd.Timestamp(orders.loc[received, "received_date"]) + pd.Timedelta(days=1)
    _write_canonical(daily, {**daily_tables[-1], "order_lines": lines, "purchase_orders": orders})
    redone = write_asof_outputs(daily, JOB)
    assert redone["mode"] == {"forecasts": "incremental", "po_etas": "full"}
    assert redone["full_because"]["po_etas"].startswith("canonical rows up to")


@pytest.mark.slow
def test_runs_on_dask_workers_give_the_single_process_outputs_full_and_nightly(daily_tables, tmp_path: Path):
    from tests.conftest import local_cluster

    here = load_settings(data_dir=tmp_path / "here")
    _write_canonical(here, daily_tables[-1])
    write_asof_outputs(here, JOB)
    there = load_settings(data_dir=tmp_path / "there")
    with local_cluster(2) as client:
        on_dask = there.model_copy(
            update={"engine": "dask", "dask_scheduler_address": client.scheduler.address, "dask_partitions": 3}
        )
        _write_canonical(there, daily_tables[-3])
        first = write_asof_outputs(on_dask, JOB)
        _write_canonical(there, daily_tables[-1])
        nightly = write_asof_outputs(on_dask, JOB)
    assert first["engine"] == "dask" and first["mode"]["forecasts"] == "full"
    assert nightly["mode"]["forecasts"] == "incremental" and nightly["added"]["forecasts"]["origins"] == 1
    for name, frame in _outputs(there).items():
        pd.testing.assert_frame_equal(frame, _outputs(here)[name])
