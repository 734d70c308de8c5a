"""One read of Dask's expression cache, for clusters whose scheduler runs in this process.

Dask deduplicates its expressions by name in a weak-value cache (``dask._expr.SingletonExpr``).
Its constructor asks whether a name is cached and then reads the entry: two steps, between which
another thread may free the cached expression. A LocalCluster runs its scheduler in the client's
process, so the scheduler's thread, rebuilding an expression the client sent, can read an entry
the client's thread has just freed; the computation then fails with a ``KeyError`` naming the
expression and its futures are lost. ``read_expression_cache_once`` makes the constructor read
the entry once, a freed entry counting as absent, as the cache's own ``get`` does.
"""

from __future__ import annotations

import inspect
import weakref
from typing import Any

from dask._expr import SingletonExpr

# The lookup this module replaces, as Dask's constructor spells it.
_TWO_STEP_LOOKUP = ("_name in cls._instances", "return cls._instances[_name]")
# Dask's own constructor, kept for the tests that show the failure it can raise.
DASK_CONSTRUCTOR = SingletonExpr.__new__


def _new_reading_once(cls: type, *args: Any, _determ_token: Any = None, **kwargs: Any) -> SingletonExpr:
    """``SingletonExpr.__new__`` with the cached instance read in one step."""
    if not hasattr(cls, "_instances"):
        cls._instances = weakref.WeakValueDictionary()
    inst = super(SingletonExpr, cls).__new__(cls, *args, _determ_token=_determ_token, **kwargs)
    name = inst._name
    if cls.__init__ == object.__init__:
        cached = cls._instances.get(name)
        if cached is not None:
            return cached
    cls._instances[name] = inst
    return inst


def reads_cache_twice(constructor: Any) -> bool:
    """Whether ``constructor`` (a ``SingletonExpr.__new__``) has the two-step lookup."""
    try:
        source = inspect.getsource(constructor)
    except (OSError, TypeError):
        return False
    return all(step in source for step in _TWO_STEP_LOOKUP)


def read_expression_cache_once() -> bool:
    """Give ``SingletonExpr`` the one-step lookup if the installed Dask has the two-step one;
    True when the constructor in place reads once (patched now or before)."""
    constructor = SingletonExpr.__new__
    if constructor is _new_reading_once:
        return True
    if not reads_cache_twice(constructor):
        return False
    SingletonExpr.__new__ = staticmethod(_new_reading_once)
    return True
