"""The Kaggle backorder model: the risk classifier's training path on a Kaggle-schema table.

Kaggle rows carry no timestamp, so folds are contiguous blocks of the table's row order (70%
train, 10% early stopping, 10% calibration, 10% test; ``training.splits.ordered_split``) and the
reported metrics are on the last block only. The recipe (views, class weight, trees, refit
rounds) is ``training.recipes.KAGGLE_RISK``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contracts.kaggle import LABEL
from features.kaggle_features import kaggle_features
from training.engine import DEFAULT_THREADS
from training.recipes import KAGGLE_RISK, ClassifierRecipe
from training.risk.model import BoosterClassifier
from training.risk.train import RiskRun, train_backorder_risk
from training.splits import ordered_split


def train_kaggle_risk(
    table: pd.DataFrame, recipe: ClassifierRecipe = KAGGLE_RISK, num_threads: int = DEFAULT_THREADS
) -> RiskRun:
    """Fit the recipe on a Kaggle-schema table with its label (``went_on_backorder``): held-out
    metrics on its last 10% of rows, then a refit on all of them."""
    X = kaggle_features(table)
    y = table[LABEL].to_numpy()
    return train_backorder_risk(X, y, ordered_split(len(X)), recipe, recipe.features, num_threads)


def kaggle_probabilities(model: BoosterClassifier, table: pd.DataFrame) -> np.ndarray:
    """Backorder probability of each row of a Kaggle-schema table, in row order."""
    return model.predict_proba(kaggle_features(table))[:, 1].astype(float)
