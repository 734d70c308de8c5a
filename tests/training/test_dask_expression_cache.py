"""Dask's expression cache read once: an expression freed by another thread between the two steps
of Dask's own lookup no longer fails the computation that rebuilds it."""

from __future__ import annotations

import weakref

import dask.dataframe as dd
import pandas as pd
import pytest
from dask._expr import SingletonExpr

from settings import Settings
from training.cluster import training_client
from training.dask_expression_cache import (
    DASK_CONSTRUCTOR,
    _new_reading_once,
    read_expression_cache_once,
    reads_cache_twice,
)


class FreedBetweenSteps(weakref.WeakValueDictionary):
    """A cache whose entry is there when asked about and gone when read, as when the thread that
    held the expression frees it in between."""

    def __contains__(self, key: object) -> bool:
        return True


@pytest.fixture
def expression():
    frame = dd.from_pandas(pd.DataFrame({"x": range(10)}), npartitions=2)
    return (frame["x"] + 1).expr


def _rebuild(expression, constructor, monkeypatch):
    monkeypatch.setattr(SingletonExpr, "__new__", staticmethod(constructor))
    monkeypatch.setattr(type(expression), "_instances", FreedBetweenSteps())
    return type(expression)(*expression.operands)


def test_dasks_own_lookup_fails_on_an_entry_freed_between_its_steps(expression, monkeypatch):
    with pytest.raises(KeyError, match=expression._name):
        _rebuild(expression, DASK_CONSTRUCTOR, monkeypatch)


def test_the_one_step_lookup_builds_the_expression_and_caches_it(expression, monkeypatch):
    rebuilt = _rebuild(expression, _new_reading_once, monkeypatch)
    assert rebuilt._name == expression._name
    assert type(expression)._instances.get(expression._name) is rebuilt


def test_the_one_step_lookup_still_shares_a_live_cached_expression(expression, monkeypatch):
    monkeypatch.setattr(SingletonExpr, "__new__", staticmethod(_new_reading_once))
    assert type(expression)(*expression.operands) is expression


def test_the_installed_dask_gets_the_one_step_lookup_and_computes_with_it(expression):
    assert reads_cache_twice(DASK_CONSTRUCTOR)
    assert read_expression_cache_once()
    assert SingletonExpr.__new__ is _new_reading_once
    assert read_expression_cache_once()  # a second call changes nothing
    assert dd.from_pandas(pd.DataFrame({"x": range(10)}), npartitions=2)["x"].sum().compute() == 45


def test_a_constructor_without_the_two_step_lookup_is_left_alone():
    assert not reads_cache_twice(_new_reading_once)


def test_a_local_training_cluster_reads_the_cache_once(tmp_path, monkeypatch):
    monkeypatch.setattr(SingletonExpr, "__new__", staticmethod(DASK_CONSTRUCTOR))
    with training_client(Settings(data_dir=tmp_path, dask_workers=1)) as client:
        assert SingletonExpr.__new__ is _new_reading_once
        assert client.compute(dd.from_pandas(pd.DataFrame({"x": range(4)}), npartitions=2)["x"].sum()).result() == 6
