"""The seed-averaged classifier: calibrated probabilities and TreeSHAP reasons that add up to its score."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from training.engine import ModelSpec
from training.risk.model import SMALL_BATCH_ROWS, BoosterClassifier
from training.splits import ordered_split

FEATURES = ("projected_stock", "noise")


@pytest.fixture(scope="module")
def fitted() -> tuple[BoosterClassifier, pd.DataFrame]:
    """One fit shared by the tests that only read the model (refit returns a new one)."""
    rng = np.random.default_rng(5)
    n = 6000
    X = pd.DataFrame({"projected_stock": rng.normal(0, 50, n), "noise": rng.normal(size=n)})
    X.loc[::50, "noise"] = np.nan  # missing values take LightGBM's missing branch either way
    y = (X["projected_stock"] + rng.normal(0, 20, n) < -60).to_numpy()
    folds = ordered_split(n)
    spec = ModelSpec("toy", "binary", FEATURES, params={"num_threads": 1}, num_boost_round=60)
    model = BoosterClassifier(spec, n_seeds=2).fit(
        X.iloc[folds.train], y[folds.train],
        validation=(X.iloc[folds.validation], y[folds.validation]),
        calibration=(X.iloc[folds.calibration], y[folds.calibration]),
    )
    return model, X


def test_contributions_add_up_to_the_score_for_requests_and_batches(fitted):
    model, X = fitted
    for rows in (X.head(10), X.head(SMALL_BATCH_ROWS + 100)):  # one thread, then all threads
        contrib = model.contributions(rows)
        assert contrib.shape == (len(rows), len(FEATURES) + 1)  # bias last
        np.testing.assert_allclose(contrib.sum(axis=1), model.decision_function(rows), atol=1e-9)


def test_contribution_plan_jobs_run_on_threads_and_add_up_to_the_contributions(fitted):
    model, X = fitted
    rows = X.head(10)
    sizes = [model._iterations(b, k) for k, b in enumerate(model.boosters_)]
    for n_jobs in (1, 2, 3):
        plan = model.contribution_plan(n_jobs)
        trees = [sum(b.num_trees() for b, _ in job) for job in plan.jobs]
        assert sum(trees) == sum(sizes) and max(trees) - min(trees) <= 1  # equal work per thread
        with ThreadPoolExecutor(n_jobs) as pool:  # as the service runs them
            parts = [job.result() for job in [pool.submit(task) for task in plan.tasks(rows)]]
        np.testing.assert_allclose(np.sum(parts, axis=0), model.contributions(rows), atol=1e-12)


def test_riskier_stock_positions_get_higher_probabilities(fitted):
    model, _ = fitted
    rows = pd.DataFrame({"projected_stock": [-150.0, 0.0, 150.0], "noise": [0.0, 0.0, np.nan]})
    p = model.predict_proba(rows)[:, 1]
    assert p[0] > p[1] > p[2] - 1e-9
    assert p[0] > 0.5 > p[2]


def test_feature_views_average_boosters_that_each_see_their_own_columns():
    rng = np.random.default_rng(6)
    n = 6000
    X = pd.DataFrame({"projected_stock": rng.normal(0, 50, n), "noise": rng.normal(size=n)})
    y = (X["projected_stock"] + rng.normal(0, 20, n) < -60).to_numpy()
    folds = ordered_split(n)
    spec = ModelSpec("toy", "binary", FEATURES, params={"num_threads": 1}, num_boost_round=40)
    model = BoosterClassifier(spec, n_seeds=2, feature_views=(FEATURES, ("noise",))).fit(
        X.iloc[folds.train], y[folds.train],
        validation=(X.iloc[folds.validation], y[folds.validation]),
        calibration=(X.iloc[folds.calibration], y[folds.calibration]),
    )
    assert [b.feature_name() for b in model.boosters_] == [list(FEATURES)] * 2 + [["noise"]] * 2
    rows = X.head(10)
    contrib = model.contributions(rows)
    np.testing.assert_allclose(contrib.sum(axis=1), model.decision_function(rows), atol=1e-9)
    noise_only = np.mean([b.predict(rows[["noise"]], pred_contrib=True) for b in model.boosters_[2:]], axis=0)
    all_columns = np.mean([b.predict(rows[list(FEATURES)], pred_contrib=True) for b in model.boosters_[:2]], axis=0)
    np.testing.assert_allclose(contrib[:, 0], all_columns[:, 0] / 2, atol=1e-12)  # the noise view adds nothing
    np.testing.assert_allclose(contrib[:, 1], (all_columns[:, 1] + noise_only[:, 0]) / 2, atol=1e-12)
    with ThreadPoolExecutor(2) as pool:
        parts = [job.result() for job in [pool.submit(task) for task in model.contribution_plan(3).tasks(rows)]]
    np.testing.assert_allclose(np.sum(parts, axis=0), contrib, atol=1e-12)
    refitted = model.refit(X, y)
    assert [b.feature_name() for b in refitted.boosters_][2:] == [["noise"]] * 2


def test_a_feature_view_outside_the_model_is_refused():
    spec = ModelSpec("toy", "binary", FEATURES)
    model = BoosterClassifier(spec, n_seeds=1, feature_views=(("projected_stock", "price"),))
    X = pd.DataFrame({"projected_stock": [1.0, 2.0], "noise": [0.0, 1.0]})
    with pytest.raises(ValueError, match="price"):
        model.fit(X, [True, False], validation=(X, [True, False]), calibration=(X, [True, False]))


def test_refit_on_more_rows_can_grow_the_early_stopping_rounds_in_proportion(fitted):
    model, X = fitted
    y = (X["projected_stock"] < -60).to_numpy()
    same = model.refit(X, y)
    scaled = model.refit(X, y, rounds_scale=1.5)
    assert [b.current_iteration() for b in same.boosters_] == model.best_iterations_
    expected = [round(rounds * 1.5) for rounds in model.best_iterations_]
    assert [b.current_iteration() for b in scaled.boosters_] == scaled.best_iterations_ == expected
    assert model.best_iterations_ == same.best_iterations_  # the fitted model is left as it was
    assert (scaled.predict_proba(X.head(5)) != same.predict_proba(X.head(5))).any()
