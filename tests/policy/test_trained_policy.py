"""The model-driven policy of the benchmark: models fitted on the history only, then replayed."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from policy import POLICY
from policy.benchmark import model_policy
from simulation import SimulationConfig, simulate
from simulation.run import checkpoint
from training.closed_loop import train_world_models, training_frames
from training.recipes import CLOSED_LOOP, ClosedLoopJob

CUTOFF = 120
FAST = ClosedLoopJob(demand=replace(CLOSED_LOOP.demand, history_days=60, num_boost_round=30), lead_time_rounds=30)


@pytest.fixture(scope="module")
def config() -> SimulationConfig:
    return SimulationConfig(seed=2, n_skus=12, n_locations=2, n_suppliers=3, n_days=160, n_customers=80)


@pytest.fixture(scope="module")
def start(config):
    return checkpoint(config, CUTOFF)


@pytest.fixture(scope="module")
def trained(start):
    return model_policy(start, FAST)


def test_models_are_fit_only_on_rows_dated_before_the_cutoff(start, trained) -> None:
    _, models = trained
    edge = pd.Timestamp(start.world.date(CUTOFF))
    assert models.demand_frame_end < edge
    assert models.demand_frame_end == edge - pd.Timedelta(days=1)  # the whole history is used
    assert models.po_frame_end < edge
    assert models.lead_time.cutoff_ < edge
    assert pd.Timestamp(models.demand.fit_info_["split_ds"]) < edge
    demand, lines = training_frames(start.history_tables(), edge, FAST.demand.history_days)
    assert demand["ds"].max() < edge and len(demand) == models.demand_rows
    assert pd.to_datetime(lines["received_date"]).max() < edge and len(lines) == models.po_rows


def test_tables_of_the_whole_run_are_refused(start, config) -> None:
    """Rows of the replay period (here: a full run's tables) must never reach the training."""
    tables = simulate(config).tables
    with pytest.raises(ValueError, match="cut-off"):
        train_world_models(tables, pd.Timestamp(start.world.date(CUTOFF)), FAST)


def test_the_trained_policy_runs_the_replay_on_model_quantiles(start, trained) -> None:
    policy, _ = trained
    replay = start.resume(policy)
    assert replay.metrics["first_day"] == CUTOFF and replay.metrics["days"] == 40
    assert 0 < replay.metrics["fill_rate"] <= 1
    assert policy.demand.made_on >= CUTOFF  # forecasts were made during the replay
    assert np.isfinite(policy.demand.daily_mean).all() and (policy.demand.daily_mean >= 0).all()
    assert policy.reorder_delays_ is not None and np.isfinite(policy.reorder_delays_).all()
    assert len(policy.delays_._ids) == 0  # no delay learnt online: the lead-time model is used


def test_the_trained_policy_runs_with_the_declared_parameters(trained) -> None:
    policy, models = trained
    assert policy.service_level == POLICY.service_level
    assert models.demand_history_days == policy.demand.history_days == FAST.demand.history_days
    assert (policy.demand.refresh_every, policy.demand.level_window, policy.demand.launch_window) == (
        POLICY.forecast_every,
        POLICY.level_window,
        POLICY.launch_window,
    )
    assert policy.lead_times.signal_window == POLICY.supplier_window
    assert (policy.lead_times.overdue is not None) == (POLICY.overdue_tail and models.overdue is not None)
