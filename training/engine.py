"""The single LightGBM fitting routine shared by every model of the project.

The training rows are a pandas frame (one process) or a Dask DataFrame: then the boosters grow on
the workers of the current ``dask.distributed`` client (``lightgbm.dask``), each worker holding
its own partitions, and only the fitted booster comes back. Validation rows are always pandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from settings import Settings

if TYPE_CHECKING:
    import dask.dataframe as dd

# Threads of a fit when the caller passes none: the settings' default (``Settings.num_threads``).
DEFAULT_THREADS: int = Settings.model_fields["num_threads"].default


@dataclass(frozen=True)
class ModelSpec:
    """What distinguishes one model from another: objective, parameters and feature roles.

    ``params`` are passed to ``lightgbm.train`` on top of ``LIGHTGBM_DEFAULTS``; ``categorical``
    names integer-coded columns LightGBM should treat as categories; ``num_threads`` is the
    host's (``Settings.num_threads``) unless ``params`` sets its own.
    """

    name: str
    objective: str
    features: tuple[str, ...]
    categorical: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    num_boost_round: int = 2000
    early_stopping_rounds: int = 100
    seed: int = 7
    num_threads: int = DEFAULT_THREADS


# Parameters every LightGBM fit starts from; a model's ``ModelSpec.params`` go on top.
LIGHTGBM_DEFAULTS: dict[str, Any] = {
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbosity": -1,
}


def is_dask(data: object) -> bool:
    """True for a Dask collection (checked without importing Dask, which serving never loads)."""
    return hasattr(data, "dask") and hasattr(data, "map_partitions")


def fit_lightgbm(
    spec: ModelSpec,
    train: pd.DataFrame | dd.DataFrame,
    y_train: np.ndarray | pd.Series | dd.Series,
    valid: pd.DataFrame | None = None,
    y_valid: np.ndarray | pd.Series | None = None,
    weight_train: np.ndarray | dd.Series | None = None,
    weight_valid: np.ndarray | None = None,
) -> lgb.Booster:
    """Fit a booster on ``spec.features``; with a validation fold, stop early on it.

    The validation fold must come *after* the training fold in time: callers build folds with
    ``training.splits``; this function never shuffles. A Dask ``train`` (with Dask ``y_train`` and
    ``weight_train``) is fitted on the cluster (``_fit_on_dask``).
    """
    params = {
        **LIGHTGBM_DEFAULTS,
        "num_threads": spec.num_threads,
        "objective": spec.objective,
        "seed": spec.seed,
        **spec.params,
    }
    features = list(spec.features)
    if is_dask(train):
        return _fit_on_dask(spec, params, train[features], y_train, weight_train, valid, y_valid, weight_valid)
    dtrain = lgb.Dataset(
        train[features],
        label=np.asarray(y_train),
        weight=weight_train,
        categorical_feature=list(spec.categorical) or "auto",
        free_raw_data=True,
    )
    callbacks = []
    valid_sets = []
    if valid is not None and y_valid is not None and len(valid):
        dvalid = lgb.Dataset(valid[features], label=np.asarray(y_valid), weight=weight_valid, reference=dtrain)
        valid_sets = [dvalid]
        callbacks.append(lgb.early_stopping(spec.early_stopping_rounds, verbose=False))
    return lgb.train(
        params,
        dtrain,
        num_boost_round=spec.num_boost_round,
        valid_sets=valid_sets,
        callbacks=callbacks,
    )


def _fit_on_dask(
    spec: ModelSpec,
    params: dict[str, Any],
    train: dd.DataFrame,
    y_train: dd.Series,
    weight_train: dd.Series | None,
    valid: pd.DataFrame | None,
    y_valid: np.ndarray | pd.Series | None,
    weight_valid: np.ndarray | None,
) -> lgb.Booster:
    """``spec.num_boost_round`` rounds with ``lightgbm.dask`` on the current client's workers,
    binned as in one process (``training.dask_bins``) and started from the single-process score.

    Distributed LightGBM evaluates a validation set per worker, on that worker's share of it, so
    workers could disagree on when to stop. Instead the booster grows all its rounds and early
    stopping is replayed here on the (pandas) validation fold: the best iteration is the one
    ``lgb.early_stopping`` would have kept, with the same patience and first metric.
    """
    from distributed import default_client

    from training.dask_bins import bin_sample, fit_on_workers

    train, y_train, weight_train = _persisted(train, y_train, weight_train)
    init_score = _average_score(params, y_train, weight_train)
    booster = fit_on_workers(
        default_client(),
        {k: v for k, v in params.items() if k != "num_threads"},  # each worker runs its own threads
        spec.num_boost_round,
        train,
        y_train.astype("float64"),
        weight_train,
        None if init_score is None else y_train.astype("float64") * 0.0 + init_score,
        bin_sample(train, params, spec.seed),
        spec.categorical,
    )
    if init_score is not None:
        _add_to_first_tree(booster, init_score)
    if valid is not None and y_valid is not None and len(valid):
        booster.best_iteration = _replayed_best_iteration(
            booster,
            params,
            valid[list(spec.features)],
            np.asarray(y_valid, dtype="float64"),
            weight_valid,
            spec.early_stopping_rounds,
        )
    return booster


def _persisted(
    train: dd.DataFrame, y: dd.Series, weight: dd.Series | None
) -> tuple[dd.DataFrame, dd.Series, dd.Series | None]:
    """The training rows kept in the workers' memory as one frame (Dask cannot persist frames
    sharing a graph side by side): the bin sample, the sums and the fit read them again."""
    features = list(train.columns)
    rows = train.assign(__label__=y, **({"__weight__": weight} if weight is not None else {})).persist()
    return rows[features], rows["__label__"], rows["__weight__"] if weight is not None else None


def _average_score(params: dict[str, Any], y: dd.Series, weight: dd.Series | None) -> float | None:
    """The score LightGBM starts from in one process (``boost_from_average``), from sums over the
    cluster; None where it is not a ratio of sums (``quantile``: a weighted percentile).

    Distributed LightGBM starts a regression from the mean of each worker's own starting score,
    which moves every tree when the workers' labels differ; the Dask fit passes this one as
    every row's initial score instead and adds it to the first tree afterwards, as LightGBM does.
    """
    objective = params["objective"]
    if not params.get("boost_from_average", True) or objective not in AVERAGE_STARTS:
        return None
    import dask

    y = y.astype("float64")
    weight = y * 0.0 + 1.0 if weight is None else weight.astype("float64")
    weighted_sum, total_weight = dask.compute((y * weight).sum(), weight.sum())
    return AVERAGE_STARTS[objective](float(weighted_sum) / float(total_weight), params)


# Starting score of each objective from the weighted mean label (LightGBM's ``BoostFromScore``).
AVERAGE_STARTS = {
    "regression": lambda mean, params: mean,
    "poisson": lambda mean, params: float(np.log(max(mean, 1e-300))),
    "tweedie": lambda mean, params: float(np.log(max(mean, 1e-300))),
}


def _add_to_first_tree(booster: lgb.Booster, score: float) -> None:
    """Add ``score`` to every leaf of the first tree: where LightGBM keeps its starting score."""
    leaves = booster.dump_model(num_iteration=1)["tree_info"][0]["num_leaves"]
    for leaf in range(leaves):
        booster.set_leaf_output(0, leaf, booster.get_leaf_output(0, leaf) + score)


def _replayed_best_iteration(
    booster: lgb.Booster,
    params: dict[str, Any],
    valid: pd.DataFrame,
    y_valid: np.ndarray,
    weight_valid: np.ndarray | None,
    patience: int,
) -> int:
    """The iteration ``lgb.early_stopping(patience)`` keeps: the best score of the first metric on
    ``valid``, stopping at the first run of ``patience`` rounds without improvement."""
    metric, higher_is_better = _first_metric(params)
    raw = np.zeros(len(valid))
    best, best_score = 0, None
    for iteration in range(1, booster.current_iteration() + 1):
        # The raw score after a round is the running sum of each tree's output.
        raw = raw + booster.predict(valid, start_iteration=iteration - 1, num_iteration=1, raw_score=True)
        score = metric(y_valid, raw, weight_valid, params)
        if best_score is None or (score > best_score if higher_is_better else score < best_score):
            best, best_score = iteration, score
        elif iteration - best >= patience:
            break
    return best


def _auc(y: np.ndarray, raw: np.ndarray, weight: np.ndarray | None, params: dict[str, Any]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, raw, sample_weight=weight))


def _logloss(y: np.ndarray, raw: np.ndarray, weight: np.ndarray | None, params: dict[str, Any]) -> float:
    p = np.clip(1.0 / (1.0 + np.exp(-raw)), 1e-15, 1 - 1e-15)
    return float(np.average(-(y * np.log(p) + (1 - y) * np.log(1 - p)), weights=weight))


def _l2(y: np.ndarray, raw: np.ndarray, weight: np.ndarray | None, params: dict[str, Any]) -> float:
    return float(np.average((y - raw) ** 2, weights=weight))


def _quantile(y: np.ndarray, raw: np.ndarray, weight: np.ndarray | None, params: dict[str, Any]) -> float:
    alpha = float(params.get("alpha", 0.9))
    error = y - raw
    return float(np.average(np.maximum(alpha * error, (alpha - 1) * error), weights=weight))


# Validation metrics the replayed early stopping knows: name -> (metric, higher is better).
REPLAYED_METRICS = {
    "auc": (_auc, True),
    "binary_logloss": (_logloss, False),
    "l2": (_l2, False),
    "quantile": (_quantile, False),
}
DEFAULT_METRIC = {"binary": "binary_logloss", "regression": "l2", "quantile": "quantile"}


def _first_metric(params: dict[str, Any]) -> tuple[Any, bool]:
    metric = params.get("metric") or DEFAULT_METRIC.get(params["objective"], "")
    name = metric[0] if isinstance(metric, list | tuple) else str(metric).split(",")[0]
    if name not in REPLAYED_METRICS:
        raise ValueError(f"metric: {name!r} cannot stop a Dask fit early; use one of {sorted(REPLAYED_METRICS)}")
    return REPLAYED_METRICS[name]
