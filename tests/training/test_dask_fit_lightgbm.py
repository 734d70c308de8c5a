"""``fit_lightgbm`` on a Dask frame: a regression booster grown on two workers bins its features as
one process does and starts from the same score, so it is the booster grown in this process; a
quantile booster (the objective the demand model uses) covers like the local one."""

from __future__ import annotations

from collections.abc import Iterator

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import Client

from tests.conftest import local_cluster
from training.dask_bins import bin_bounds
from training.engine import ModelSpec, fit_lightgbm


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with local_cluster(2) as client:
        yield client


def _on_both_workers(client: Client, frame: pd.DataFrame, parts: list[np.ndarray]) -> dd.DataFrame:
    """``frame`` as a Dask frame whose partition ``k`` (rows ``parts[k]``) lives on worker ``k``."""
    workers = sorted(client.scheduler_info()["workers"])
    futures = [client.scatter(frame.iloc[rows], workers=[w]) for rows, w in zip(parts, workers, strict=False)]
    return dd.from_delayed(futures, meta=frame.iloc[:0])


def _rows(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"level": rng.uniform(1, 10, n), "noise": rng.uniform(0, 1, n)})
    return X, X["level"].to_numpy() * rng.gamma(4.0, 0.25, n)


def test_bin_bounds_are_the_bins_lightgbm_builds_in_one_process(tmp_path):
    import json

    X, y = _rows(3000, 2)
    X["level"] = X["level"].round(1).where(X.index % 7 > 0)  # fewer distinct values, some missing
    bounds = [bin_bounds(X[c].to_numpy(), {}) for c in X.columns]
    path = tmp_path / "bins.json"
    path.write_text(json.dumps([{"feature": i, "bin_upper_bound": b} for i, b in enumerate(bounds)]))
    spec = ModelSpec(name="l2", objective="regression", features=tuple(X.columns), num_threads=1, num_boost_round=30)
    own = fit_lightgbm(spec, X, y)
    forced = fit_lightgbm(ModelSpec(**{**spec.__dict__, "params": {"forcedbins_filename": str(path)}}), X, y)
    assert 10 < len(bounds[0]) < 91 and len(bounds[1]) > 200
    np.testing.assert_array_equal(forced.predict(X), own.predict(X))


def test_a_booster_grown_on_two_workers_is_the_one_grown_in_this_process(client):
    """Workers holding unlike rows (the low and the high quantities): each would bin its features
    from its own rows and start from its own mean label. The features' ranges do not overlap, so
    the bins LightGBM shares between features on a cluster (training.dask_bins) add none inside
    a feature's range."""
    rng = np.random.default_rng(3)
    n = 6000
    X = pd.DataFrame(
        {
            "share": rng.uniform(0, 1, n),
            "quantity": rng.gamma(2.0, 40.0, n).round(),
            "days": rng.integers(1000, 1060, n).astype("float64"),
        }
    )
    y = 3 * X["share"] + X["quantity"] / 50 + rng.normal(0, 0.5, n)
    order = np.argsort(X["quantity"].to_numpy())
    parts = [order[: n // 3], order[n // 3 :]]
    spec = ModelSpec(
        name="level",
        objective="regression",
        features=tuple(X.columns),
        num_threads=1,
        num_boost_round=40,
        params={"bagging_fraction": 1.0, "feature_fraction": 1.0, "min_data_in_leaf": 20},
    )
    local = fit_lightgbm(spec, X, y.to_numpy())
    frame = _on_both_workers(client, X.assign(y=y), parts)
    on_dask = fit_lightgbm(spec, frame[list(X.columns)], frame["y"])
    np.testing.assert_allclose(on_dask.predict(X), local.predict(X), atol=1e-6)


def test_a_quantile_booster_grown_on_dask_covers_like_the_local_one(client):
    X, y = _rows(4000, 0)
    X_valid, y_valid = _rows(2000, 1)
    spec = ModelSpec(
        name="p90",
        objective="quantile",
        features=("level", "noise"),
        num_threads=1,
        params={"alpha": 0.9, "min_data_in_leaf": 20},
        num_boost_round=120,
        early_stopping_rounds=20,
    )
    local = fit_lightgbm(spec, X, y, X_valid, y_valid)
    frame = dd.from_pandas(X.assign(y=y), npartitions=2)
    on_dask = fit_lightgbm(spec, frame[list(X.columns)], frame["y"], X_valid, y_valid)

    coverage = {
        name: float((y_valid <= booster.predict(X_valid, num_iteration=booster.best_iteration)).mean())
        for name, booster in (("local", local), ("dask", on_dask))
    }
    assert 0 < on_dask.best_iteration <= spec.num_boost_round
    assert coverage["dask"] == pytest.approx(coverage["local"], abs=0.03)
    assert coverage["dask"] == pytest.approx(0.9, abs=0.04)
