"""A Dask fit grows every round and replays early stopping on the validation fold afterwards: it
must keep the iteration LightGBM's own early stopping keeps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.engine import ModelSpec, _replayed_best_iteration, fit_lightgbm


def _rows(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd"))
    signal = X["a"] - 0.5 * X["b"] + rng.normal(scale=2.0, size=n)
    return X, (signal > 1.5).to_numpy()


@pytest.mark.parametrize("metric", ["auc", "binary_logloss"])
def test_replayed_early_stopping_keeps_lightgbms_best_iteration(metric):
    X, y = _rows(3000, 0)
    X_valid, y_valid = _rows(1000, 1)
    spec = ModelSpec(
        name="toy", objective="binary", features=tuple(X.columns), num_threads=1,
        params={"metric": metric, "num_leaves": 31, "min_data_in_leaf": 5, "learning_rate": 0.2},
        num_boost_round=300, early_stopping_rounds=20,
    )
    stopped = fit_lightgbm(spec, X, y.astype(int), X_valid, y_valid.astype(int))
    assert 0 < stopped.best_iteration < spec.num_boost_round - spec.early_stopping_rounds

    every_round = fit_lightgbm(spec, X, y.astype(int))  # no validation fold: every round
    params = {"objective": "binary", **spec.params}
    replayed = _replayed_best_iteration(
        every_round, params, X_valid, y_valid.astype(float), None, spec.early_stopping_rounds
    )
    assert replayed == stopped.best_iteration


def test_replayed_early_stopping_names_an_unknown_metric():
    X, y = _rows(300, 0)
    spec = ModelSpec(name="toy", objective="binary", features=tuple(X.columns), num_threads=1, num_boost_round=3)
    booster = fit_lightgbm(spec, X, y.astype(int))
    with pytest.raises(ValueError, match="'average_precision'"):
        _replayed_best_iteration(booster, {"objective": "binary", "metric": "average_precision"}, X, y, None, 5)
