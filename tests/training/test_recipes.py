"""Model recipes: each model reads a feature service named after it, and fits with the host's threads."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from features.feast_repo.definitions import FEATURE_SERVICES
from policy.parameters import POLICY
from settings import load_settings
from training.recipes import BACKORDER_RISK, CLOSED_LOOP, SKU_LOCATION_RISK
from training.risk.train import train_backorder_risk
from training.splits import ordered_split


@pytest.mark.parametrize("job", [BACKORDER_RISK, SKU_LOCATION_RISK], ids=lambda job: job.model_name)
def test_each_world_classifier_reads_a_registered_feature_service_named_after_it(job):
    assert job.feature_service in FEATURE_SERVICES
    assert job.feature_service.removesuffix("_v1") == job.model_name


def test_the_two_classifiers_read_different_services():
    assert BACKORDER_RISK.feature_service != SKU_LOCATION_RISK.feature_service


def test_the_thread_setting_reaches_every_booster_of_a_risk_model(monkeypatch):
    monkeypatch.setenv("BACKORDER_NUM_THREADS", "1")
    threads = load_settings().num_threads
    rng = np.random.default_rng(3)
    n = 4000
    X = pd.DataFrame({"projected_position_lt": rng.normal(0, 50, n), "noise": rng.normal(size=n)})
    y = (X["projected_position_lt"] + rng.normal(0, 20, n) < -60).to_numpy()
    recipe = replace(SKU_LOCATION_RISK.recipe, n_seeds=2, num_boost_round=30)
    run = train_backorder_risk(X, y, ordered_split(n), recipe, list(X.columns), num_threads=threads)
    assert threads == 1
    assert [booster.params["num_threads"] for booster in run.model.boosters_] == [1, 1]
    assert set(run.metrics) == {"lightgbm", *recipe.baselines}


def test_the_closed_loop_demand_recipe_keeps_the_history_the_replay_corrects_its_level_on():
    assert POLICY.level_window + CLOSED_LOOP.demand.horizon <= CLOSED_LOOP.demand.history_days
