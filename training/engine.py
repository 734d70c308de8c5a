"""The single LightGBM fitting routine shared by every model of the project."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from settings import Settings

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


def fit_lightgbm(
    spec: ModelSpec,
    train: pd.DataFrame,
    y_train: np.ndarray | pd.Series,
    valid: pd.DataFrame | None = None,
    y_valid: np.ndarray | pd.Series | None = None,
    weight_train: np.ndarray | None = None,
    weight_valid: np.ndarray | None = None,
) -> lgb.Booster:
    """Fit a booster on ``spec.features``; with a validation fold, stop early on it.

    The validation fold must come *after* the training fold in time: callers build folds with
    ``training.splits``; this function never shuffles.
    """
    params = {
        **LIGHTGBM_DEFAULTS,
        "num_threads": spec.num_threads,
        "objective": spec.objective,
        "seed": spec.seed,
        **spec.params,
    }
    features = list(spec.features)
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
        dvalid = lgb.Dataset(
            valid[features], label=np.asarray(y_valid), weight=weight_valid, reference=dtrain
        )
        valid_sets = [dvalid]
        callbacks.append(lgb.early_stopping(spec.early_stopping_rounds, verbose=False))
    return lgb.train(
        params,
        dtrain,
        num_boost_round=spec.num_boost_round,
        valid_sets=valid_sets,
        callbacks=callbacks,
    )
