"""The same histogram bins on every Dask worker as in one process.

Distributed LightGBM bins each feature on one worker, from that worker's own rows, so a booster
grown on several workers splits at other thresholds than one grown in one process. The Dask fit
of a booster that is not binary (``training.engine``) therefore finds the bin boundaries one
process would find, on a seeded sample of the training
rows of at most ``bin_construct_sample_cnt`` rows (the rows LightGBM itself bins from in one
process), and forces them on every worker through ``forcedbins_filename``.

LightGBM (up to at least 4.7.0) reads the forced bins of distributed training by the feature's
position within its worker's share of the features rather than by the feature itself: worker
``r`` bins feature ``r * step + i`` with the forced bins listed for feature ``i``, where ``step``
is the number of features per worker. The features sharing a position share one list: the one
with the fewest bounds takes exactly its own (``max_bin_by_feature``), the others take theirs
after those. A list is written only where no feature gets a bound that falls between its own
values (``_splits_values``), so every forced feature bins its values as one process does; the
other features keep the bins of the worker that finds them.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import dask.dataframe as dd
    from distributed import Client

# LightGBM's defaults for the parameters that shape its bins.
BIN_DEFAULTS: dict[str, Any] = {"max_bin": 255, "min_data_in_bin": 3, "bin_construct_sample_cnt": 200_000}
# LightGBM's ``kZeroThreshold``: values this close to zero share the zero bin, whose bounds it adds itself.
ZERO_THRESHOLD = 1e-35


def bin_bounds(values: np.ndarray, params: dict[str, Any]) -> list[float]:
    """The upper bounds of the bins LightGBM builds in one process for a numerical feature holding
    ``values`` (every row binned), without the zero bin's bounds and the last, infinite one.

    Found by LightGBM itself: a single tree fitted to the rank of each value, with a leaf for every
    bin and one row allowed per leaf, splits between every two neighbouring bins, so its thresholds
    are the bins' upper bounds.
    """
    present = ~np.isnan(values)
    if not present.any():
        return []
    label = np.full(len(values), -1.0)
    label[present] = pd.Series(values[present]).rank(method="dense").to_numpy()
    settings = {**BIN_DEFAULTS, **{k: params[k] for k in ("max_bin", "min_data_in_bin") if k in params}}
    tree_params = {
        "objective": "regression",
        "max_bin": settings["max_bin"],
        "min_data_in_bin": settings["min_data_in_bin"],
        "bin_construct_sample_cnt": len(values),
        "num_leaves": settings["max_bin"] + 1,
        "min_data_in_leaf": 1,
        "min_sum_hessian_in_leaf": 0.0,
        "lambda_l2": 0.0,
        "learning_rate": 1.0,
        "boost_from_average": False,
        "feature_pre_filter": False,
        "num_threads": 1,
        "verbosity": -1,
    }
    tree = lgb.train(tree_params, lgb.Dataset(values.reshape(-1, 1), label=label), num_boost_round=1)
    thresholds: set[float] = set()
    stack = [info["tree_structure"] for info in tree.dump_model()["tree_info"]]
    while stack:
        node = stack.pop()
        if "split_feature" in node:
            thresholds.add(float(node["threshold"]))
            stack += [node["left_child"], node["right_child"]]
    return sorted(t for t in thresholds if abs(t) > 2 * ZERO_THRESHOLD)


def bin_sample(train: dd.DataFrame, params: dict[str, Any], seed: int) -> pd.DataFrame:
    """A seeded sample of ``train``'s rows, as many as LightGBM bins from in one process
    (``bin_construct_sample_cnt``), computed into this process."""
    rows = int(params.get("bin_construct_sample_cnt", BIN_DEFAULTS["bin_construct_sample_cnt"]))
    total = int(train.shape[0].compute())
    if total <= rows:
        return train.compute()
    return train.sample(frac=rows / total, random_state=seed).compute()


def _added_bins(values: np.ndarray) -> int:
    """Bins LightGBM adds to the forced ones of a feature holding ``values``: the last (infinite)
    bound, a bound on each side of zero that has values, and the bin of missing values."""
    return (
        1 + int((values < -ZERO_THRESHOLD).any()) + int((values > ZERO_THRESHOLD).any()) + int(np.isnan(values).any())
    )


def _splits_values(bounds: list[float], own: list[float], values: np.ndarray) -> bool:
    """True if a bound of ``bounds`` that is not one of ``own`` falls between two of ``values``:
    it would give the feature a split the single-process fit does not have."""
    present = values[~np.isnan(values)]
    if not len(present):
        return False
    extra = np.setdiff1d(np.asarray(bounds, dtype="float64"), np.asarray(own, dtype="float64"))
    return bool(((extra >= present.min()) & (extra < present.max())).any())


def _shared_slots(n_features: int, n_workers: int) -> list[list[int]]:
    """The features that read the forced bins listed under each feature ``i`` in distributed
    LightGBM: ``r * step + i`` for every worker ``r`` (``i`` itself on one worker)."""
    step = max(1, math.ceil(n_features / n_workers))
    return [list(range(i, n_features, step)) for i in range(min(step, n_features))]


def forced_bins(
    sample: pd.DataFrame, categorical: Sequence[str], params: dict[str, Any], n_workers: int
) -> tuple[list[dict[str, Any]], list[int]]:
    """The ``forcedbins_filename`` entries for a fit on ``n_workers`` workers of the columns of
    ``sample`` (the training rows' features, in order), and the ``max_bin_by_feature`` that gives
    each feature exactly the forced bins."""
    columns = list(sample.columns)
    numerical = [c not in set(categorical) for c in columns]
    values = [sample[c].to_numpy(dtype="float64") for c in columns]
    own = [bin_bounds(v, params) if numerical[j] else [] for j, v in enumerate(values)]
    max_bin = int(params.get("max_bin", BIN_DEFAULTS["max_bin"]))
    entries, max_bins = [], [max_bin] * len(columns)
    for slot, readers in enumerate(_shared_slots(len(columns), n_workers)):
        if not numerical[slot]:
            continue  # LightGBM ignores forced bins listed under a categorical feature
        listed: list[float] = []
        reads = {}
        # Each reader takes the first bounds of the list: the one with the fewest bounds first, so
        # it gets exactly its own; the next ones get theirs after those of the readers before them.
        for j in sorted((j for j in readers if numerical[j] and own[j]), key=lambda j: len(own[j])):
            seen = set(listed)
            listed += [b for b in own[j] if b not in seen]
            reads[j] = len(listed)
        if listed and not any(
            _splits_values(listed[: reads.get(j, len(listed))], own[j], values[j]) for j in readers if numerical[j]
        ):
            entries.append({"feature": slot, "bin_upper_bound": listed})
            for j, count in reads.items():
                max_bins[j] = count + _added_bins(values[j])
    return entries, max_bins


def data_workers(client: Client, train: dd.DataFrame) -> int:
    """How many workers hold partitions of ``train`` (persisted): the machines of its fit."""
    from distributed import futures_of

    holders = client.who_has(futures_of(train))
    return len({worker for workers in holders.values() for worker in workers}) or 1


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _remove(path: str) -> None:
    if os.path.exists(path):
        os.remove(path)


@contextmanager
def bins_on_workers(client: Client, entries: list[dict[str, Any]]) -> Iterator[str]:
    """A forced-bins file written at the same path on every worker of ``client`` (in each one's
    temporary folder, ``/tmp`` on Linux), removed afterwards; yields the path."""
    path = os.path.join(tempfile.gettempdir(), f"lightgbm-forcedbins-{uuid.uuid4().hex}.json")
    client.run(_write, path, json.dumps(entries))
    try:
        yield path
    finally:
        client.run(_remove, path)
