"""``fit_lightgbm`` on a Dask frame: a quantile booster grown on two workers covers like the one
grown in this process (the objective the demand model uses)."""

from __future__ import annotations

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from training.engine import ModelSpec, fit_lightgbm


def _rows(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"level": rng.uniform(1, 10, n), "noise": rng.uniform(0, 1, n)})
    return X, X["level"].to_numpy() * rng.gamma(4.0, 0.25, n)


def test_a_quantile_booster_grown_on_dask_covers_like_the_local_one():
    X, y = _rows(4000, 0)
    X_valid, y_valid = _rows(2000, 1)
    spec = ModelSpec(
        name="p90", objective="quantile", features=("level", "noise"), num_threads=1,
        params={"alpha": 0.9, "min_data_in_leaf": 20}, num_boost_round=120, early_stopping_rounds=20,
    )
    local = fit_lightgbm(spec, X, y, X_valid, y_valid)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
            dashboard_address=":0",  # a free port: None still binds 8787
        ) as cluster,
        Client(cluster),
    ):
        frame = dd.from_pandas(X.assign(y=y), npartitions=2)
        on_dask = fit_lightgbm(spec, frame[list(X.columns)], frame["y"], X_valid, y_valid)

    coverage = {
        name: float((y_valid <= booster.predict(X_valid, num_iteration=booster.best_iteration)).mean())
        for name, booster in (("local", local), ("dask", on_dask))
    }
    assert 0 < on_dask.best_iteration <= spec.num_boost_round
    assert coverage["dask"] == pytest.approx(coverage["local"], abs=0.03)
    assert coverage["dask"] == pytest.approx(0.9, abs=0.04)
