"""Backorder-risk classifier: seed-averaged LightGBM boosters plus a probability calibrator.

Each booster is fitted by ``training.engine.fit_lightgbm`` (the project's one LightGBM path) on
the training fold with the rare class up-weighted, and stops early on the later validation fold.
The average raw score of the boosters is calibrated on the calibration fold. Averaging a few
seeds with row/feature bagging lowers variance, which matters more than depth with ~1% positives.
Feature views go further the same way: boosters fitted on different column subsets (say, raw
quantities and derived ratios) split the data along different paths, and their average ranks
better than either (the Kaggle benchmark, docs/benchmarks.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from training.engine import ModelSpec, fit_lightgbm, is_dask
from training.risk.booster_calls import PredictKind, booster_slice, prepared_predict
from training.risk.calibration import ProbabilityCalibrator

if TYPE_CHECKING:
    import dask.dataframe as dd

# Fewer rows than this are predicted on one thread (see BoosterClassifier._predict_each).
SMALL_BATCH_ROWS = 512


def class_weights(y: np.ndarray | dd.Series, positive_weight: float | None) -> np.ndarray | dd.Series:
    """Per-row weights: positives get ``positive_weight`` (``None``: negatives/positives).

    A Dask ``y`` gives lazy Dask weights; only its two counts are computed.
    """
    if is_dask(y):
        import dask

        positives, size = (int(n) for n in dask.compute(y.sum(), y.size))
    else:
        y = np.asarray(y, dtype=bool)
        positives, size = int(y.sum()), y.size
    if positives == 0:
        raise ValueError("the training fold has no positive rows")
    weight = float((size - positives) / positives if positive_weight is None else positive_weight)
    if is_dask(y):
        return y.map_partitions(_weights_of, weight, meta=(y.name, "float64"))
    return _weights_of(y, weight)


def _weights_of(y: np.ndarray | pd.Series, weight: float) -> np.ndarray | pd.Series:
    if isinstance(y, pd.Series):
        return pd.Series(np.where(y.to_numpy(dtype=bool), weight, 1.0), index=y.index, name=y.name)
    return np.where(y, weight, 1.0)


def _labels(y: object) -> np.ndarray | dd.Series:
    """Labels as booleans: a numpy array, or a lazy Dask series when the rows are on a cluster."""
    return y.astype(bool) if is_dask(y) else np.asarray(y, dtype=bool)


class BoosterClassifier(ClassifierMixin, BaseEstimator):
    """Calibrated, seed-averaged LightGBM classifier (scikit-learn estimator contract).

    ``fit(X, y, validation=(Xv, yv), calibration=(Xc, yc))``: the folds must come after the
    training fold in time (see ``training.splits``). ``feature_views``: column subsets of
    ``spec.features``, ``n_seeds`` boosters each (None: one view, all features). Fitted
    attributes: ``boosters_``, ``best_iterations_``, ``view_columns_`` (each booster's columns
    among ``spec.features``; None for all of them), ``calibrator_``, ``classes_``,
    ``feature_names_in_``.
    """

    def __init__(
        self,
        spec: ModelSpec,
        n_seeds: int,
        positive_weight: float | None = None,
        calibration: str = "auto",
        threshold: float = 0.5,
        feature_views: tuple[tuple[str, ...], ...] | None = None,
    ):
        self.spec = spec
        self.n_seeds = n_seeds
        self.positive_weight = positive_weight
        self.calibration = calibration
        self.threshold = threshold
        self.feature_views = feature_views

    def _member_specs(self) -> list[tuple[ModelSpec, np.ndarray | None]]:
        """One (spec, columns among ``spec.features``) per booster: ``n_seeds`` per feature view."""
        views = self.feature_views or (self.spec.features,)
        position = {name: i for i, name in enumerate(self.spec.features)}
        members = []
        for view in views:
            unknown = [name for name in view if name not in position]
            if unknown:
                raise ValueError(f"feature_views: {unknown} not among the spec's features")
            columns = None if tuple(view) == tuple(self.spec.features) else np.array([position[n] for n in view])
            seeds = range(self.spec.seed, self.spec.seed + self.n_seeds)
            members += [(replace(self.spec, features=tuple(view), seed=seed), columns) for seed in seeds]
        return members

    def fit(
        self,
        X: pd.DataFrame | dd.DataFrame,
        y: object,
        *,
        validation: tuple[pd.DataFrame, object],
        calibration: tuple[pd.DataFrame, object],
    ) -> BoosterClassifier:
        """Fit on ``(X, y)``: pandas, or Dask (boosters grow on the cluster, ``fit_lightgbm``);
        ``validation`` and ``calibration`` are pandas either way."""
        y = _labels(y)
        x_valid, y_valid = validation[0], np.asarray(validation[1], dtype=bool)
        x_cal, y_cal = calibration[0], np.asarray(calibration[1], dtype=bool)
        weights = class_weights(y, self.positive_weight)
        members = self._member_specs()
        self.boosters_: list[lgb.Booster] = []
        self.best_iterations_: list[int] = []
        self.view_columns_ = [columns for _, columns in members]
        for spec, _ in members:
            booster = fit_lightgbm(spec, X, y.astype(int), x_valid, y_valid.astype(int), weight_train=weights)
            best = booster.best_iteration or booster.current_iteration()
            self.boosters_.append(booster)
            self.best_iterations_.append(int(best))
        self.feature_names_in_ = np.asarray(self.spec.features, dtype=object)
        self.n_features_in_ = len(self.spec.features)
        self.classes_ = np.array([False, True])
        self.calibrator_ = ProbabilityCalibrator(self.calibration).fit(
            self.decision_function(x_cal), y_cal
        )
        return self

    def refit(self, X: pd.DataFrame | dd.DataFrame, y: object, rounds_scale: float = 1.0) -> BoosterClassifier:
        """A copy whose boosters are refitted on (X, y) — all labelled rows — with the number of
        rounds found by early stopping times ``rounds_scale``; the calibrator found on the held-out
        fold is kept. (More rows support more rounds: ``rounds_scale`` = refit rows / training rows
        is the usual rule.)"""
        y = _labels(y)
        weights = class_weights(y, self.positive_weight)
        clone = BoosterClassifier(**self.get_params())
        clone.best_iterations_ = [max(1, round(rounds * rounds_scale)) for rounds in self.best_iterations_]
        clone.boosters_ = [
            fit_lightgbm(replace(spec, num_boost_round=rounds), X, y.astype(int), weight_train=weights)
            for (spec, _), rounds in zip(self._member_specs(), clone.best_iterations_, strict=True)
        ]
        for name in ("feature_names_in_", "n_features_in_", "classes_", "calibrator_", "view_columns_"):
            setattr(clone, name, getattr(self, name))
        return clone

    def _iterations(self, booster: lgb.Booster, k: int) -> int:
        return min(self.best_iterations_[k], booster.current_iteration())

    def _columns(self) -> list[np.ndarray | None]:
        # Models pickled before feature views existed have all columns in every booster.
        return getattr(self, "view_columns_", None) or [None] * len(self.boosters_)

    def _predict_each(self, X: pd.DataFrame, kind: PredictKind) -> list[np.ndarray]:
        """One prediction per booster on the model's columns as a float matrix.

        A request's few rows run on one thread: OpenMP start-up costs more than it saves there,
        and much more when the cores are busy (0: LightGBM's default, all cores).
        """
        data = _model_matrix(X, self.spec.features)
        threads = 1 if len(data) < SMALL_BATCH_ROWS else 0
        outputs = []
        for k, (booster, columns) in enumerate(zip(self.boosters_, self._columns(), strict=True)):
            out = prepared_predict(
                booster, _view(data, columns), kind, num_iteration=self._iterations(booster, k), num_threads=threads
            )()
            outputs.append(out if kind == "raw_score" else _in_model_columns(out, columns, data.shape[1]))
        return outputs

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Mean raw (log-odds) score of the boosters, before calibration."""
        return np.mean(self._predict_each(X, "raw_score"), axis=0)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self._calibrated(self.decision_function(X))

    def _calibrated(self, raw: np.ndarray) -> np.ndarray:
        p = self.calibrator_.predict(raw)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.predict_proba(X)[:, 1] >= self.threshold

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """TreeSHAP contributions to the raw score, averaged over boosters: (rows, features + 1)."""
        return np.mean(self._predict_each(X, "contrib"), axis=0)

    def contribution_plan(self, n_jobs: int) -> ContributionPlan:
        """The boosters' trees cut into ``n_jobs`` runs of about equal size (see ``ContributionPlan``)."""
        sizes = [self._iterations(b, k) for k, b in enumerate(self.boosters_)]
        bounds = np.linspace(0, sum(sizes), n_jobs + 1).round().astype(int)
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        jobs = []
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            pieces = []
            for booster, columns, first, size in zip(self.boosters_, self._columns(), offsets[:-1], sizes, strict=True):
                start, stop = max(lo, first) - first, min(hi, first + size) - first
                if stop > start:
                    pieces.append((booster_slice(booster, int(start), int(stop - start)), columns))
            jobs.append(tuple(pieces))
        return ContributionPlan(tuple(job for job in jobs if job), 1.0 / len(self.boosters_), tuple(self.spec.features))


@dataclass(frozen=True)
class ContributionPlan:
    """TreeSHAP of a ``BoosterClassifier`` split into jobs of about equal work, for threads.

    Each job holds its own copy of a run of trees per booster it covers (``booster_slice``), so jobs never
    share a LightGBM booster, and runs them as prepared native calls: a helper thread needs the
    GIL only around each call, not four times per call as with ``Booster.predict``. The jobs'
    results add up to ``contributions(X)``: TreeSHAP adds over trees, and each job is weighted by
    one over the number of averaged boosters. Each run of trees carries its booster's columns
    (None: all of them; see ``BoosterClassifier.feature_views``).
    """

    jobs: tuple[tuple[tuple[lgb.Booster, np.ndarray | None], ...], ...]
    weight: float
    features: tuple[str, ...]

    def tasks(self, X: pd.DataFrame) -> list[Callable[[], np.ndarray]]:
        """The jobs for ``X``'s rows, prepared here (on the caller's thread), ready to run anywhere."""
        data = _model_matrix(X, self.features)
        return [
            functools.partial(
                _weighted_sum,
                [(prepared_predict(b, _view(data, columns), "contrib"), columns) for b, columns in job],
                data.shape[1],
                self.weight,
            )
            for job in self.jobs
        ]


def _weighted_sum(
    calls: list[tuple[Callable[[], np.ndarray], np.ndarray | None]], n_features: int, weight: float
) -> np.ndarray:
    """One job's result: its tree runs' contributions in the model's columns, added, times the
    booster weight."""
    return sum(_in_model_columns(call(), columns, n_features) for call, columns in calls) * weight


def _view(data: np.ndarray, columns: np.ndarray | None) -> np.ndarray:
    """A booster's input: the model matrix, or the columns of its feature view."""
    return data if columns is None else data[:, columns]


def _in_model_columns(contrib: np.ndarray, columns: np.ndarray | None, n_features: int) -> np.ndarray:
    """A view booster's contributions (its columns, then the bias) placed in the model's columns;
    the features it does not see contribute nothing."""
    if columns is None:
        return contrib
    out = np.zeros((contrib.shape[0], n_features + 1))
    out[:, columns] = contrib[:, :-1]
    out[:, -1] = contrib[:, -1]
    return out


def _model_matrix(X: pd.DataFrame, features: Sequence[str]) -> np.ndarray:
    """The model's columns as a float matrix; no column selection copy when already in order."""
    features = list(features)
    return (X if list(X.columns) == features else X[features]).to_numpy(dtype=np.float64, na_value=np.nan)
