"""Prepared native LightGBM calls give what ``Booster.predict`` gives, from any thread."""

from __future__ import annotations

import gc
from concurrent.futures import ThreadPoolExecutor

import lightgbm as lgb
import numpy as np
import pytest

from training.risk.booster_calls import booster_slice, prepared_predict


@pytest.fixture(scope="module")
def booster_and_rows() -> tuple[lgb.Booster, np.ndarray]:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 4))
    X[::40, 2] = np.nan  # the missing-value branch
    y = (X[:, 0] + 0.5 * np.nan_to_num(X[:, 2]) + rng.normal(0, 0.5, len(X)) > 1).astype(int)
    params = {"objective": "binary", "num_leaves": 15, "verbose": -1, "num_threads": 1, "seed": 3}
    booster = lgb.train(params, lgb.Dataset(X, y), num_boost_round=40)
    return booster, X[:25]


@pytest.mark.parametrize("kind", ["raw_score", "contrib"])
def test_prepared_call_matches_booster_predict(booster_and_rows, kind):
    booster, rows = booster_and_rows
    flag = {"raw_score": True} if kind == "raw_score" else {"pred_contrib": True}
    for num_iteration in (-1, 17):
        expected = booster.predict(rows, num_iteration=num_iteration, **flag)
        got = prepared_predict(booster, rows, kind, num_iteration=num_iteration)()
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_a_column_major_or_integer_matrix_is_converted_not_misread(booster_and_rows):
    booster, rows = booster_and_rows
    expected = booster.predict(rows, raw_score=True)
    np.testing.assert_allclose(prepared_predict(booster, np.asfortranarray(rows), "raw_score")(), expected)
    ints = np.arange(12).reshape(3, 4)
    np.testing.assert_allclose(
        prepared_predict(booster, ints, "raw_score")(), booster.predict(ints.astype(float), raw_score=True)
    )


def test_slices_explain_exactly_what_the_booster_explains_even_run_at_once(booster_and_rows):
    booster, rows = booster_and_rows
    slices = [booster_slice(booster, 0, 25), booster_slice(booster, 25, 15)]
    assert [s.num_trees() for s in slices] == [25, 15]
    with ThreadPoolExecutor(2) as pool:
        parts = list(pool.map(lambda b: prepared_predict(b, rows, "contrib")(), slices))
    np.testing.assert_allclose(parts[0] + parts[1], booster.predict(rows, pred_contrib=True), atol=1e-12)


def test_a_matrix_that_is_not_two_dimensional_is_refused(booster_and_rows):
    booster, rows = booster_and_rows
    with pytest.raises(ValueError, match="2-D matrix"):
        prepared_predict(booster, rows[0], "raw_score")


def test_a_wrong_column_count_is_lightgbm_s_error_not_a_crash(booster_and_rows):
    booster, rows = booster_and_rows
    with pytest.raises(lgb.basic.LightGBMError, match="number of features"):
        prepared_predict(booster, rows[:, :3], "raw_score")()


def test_a_prepared_call_keeps_its_booster_alive(booster_and_rows):
    booster, rows = booster_and_rows
    expected = booster.predict(rows, pred_contrib=True, start_iteration=10, num_iteration=5)
    job = prepared_predict(booster_slice(booster, 10, 5), rows, "contrib")  # nothing else holds the slice
    gc.collect()
    np.testing.assert_allclose(job(), expected, rtol=0, atol=1e-12)
