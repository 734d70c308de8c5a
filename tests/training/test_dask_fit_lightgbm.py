"""``fit_lightgbm`` on a Dask frame: boosters grown on two workers bin their features as one process
does and start from the same score, so a regression booster, and a classifier without a minimum
of rows per leaf, are the boosters grown in this process; a quantile booster (the objective the
demand model uses) covers like the local one."""

from __future__ import annotations

from collections.abc import Iterator

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import Client

from tests.conftest import local_cluster
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


def _unlike_rows(n: int) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """Features with overlapping ranges, and the rows of each worker: the lowest third of the
    quantities on the first, the rest (with every missing share) on the second."""
    rng = np.random.default_rng(3)
    X = pd.DataFrame(
        {
            "share": rng.uniform(0, 1, n),
            "quantity": rng.gamma(2.0, 40.0, n).round(),
            "days": rng.integers(0, 60, n).astype("float64"),
        }
    )
    order = np.argsort(X["quantity"].to_numpy())
    X.loc[order[n // 3 :][rng.uniform(size=n - n // 3) < 0.2], "share"] = np.nan
    return X, [order[: n // 3], order[n // 3 :]]


def test_a_booster_grown_on_two_workers_is_the_one_grown_in_this_process(client):
    """Workers holding unlike rows (the low and the high quantities, missing shares on one worker
    only): each would bin its features from its own rows and start from its own mean label."""
    X, parts = _unlike_rows(6000)
    rng = np.random.default_rng(4)
    y = 3 * X["share"].fillna(0.5) + X["quantity"] / 50 + rng.normal(0, 0.5, len(X))
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


def test_a_classifiers_first_tree_grown_on_two_workers_is_the_one_grown_in_this_process(client):
    """The classifiers' bins and starting score are those of one process: their first tree, where
    every row has the same hessian, is the same tree. Later trees part where a leaf's rows decide
    (``min_data_in_leaf``), because distributed LightGBM estimates each leaf's rows from its
    hessians where one process counts them (docs/scaling.md)."""
    X, parts = _unlike_rows(4000)
    rng = np.random.default_rng(5)
    y = ((3 * X["share"].fillna(0.2) - X["quantity"] / 40 + rng.normal(0, 1, len(X))) > 0.5).astype(int)
    spec = ModelSpec(
        name="risk",
        objective="binary",
        features=tuple(X.columns),
        num_threads=1,
        num_boost_round=1,
        params={"bagging_fraction": 1.0, "feature_fraction": 1.0, "num_leaves": 15, "min_data_in_leaf": 100},
    )
    local = fit_lightgbm(spec, X, y.to_numpy())
    frame = _on_both_workers(client, X.assign(y=y), parts)
    on_dask = fit_lightgbm(spec, frame[list(X.columns)], frame["y"])
    assert on_dask.dump_model()["tree_info"][0] == local.dump_model()["tree_info"][0]
    np.testing.assert_allclose(on_dask.predict(X, raw_score=True), local.predict(X, raw_score=True), atol=1e-9)


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
