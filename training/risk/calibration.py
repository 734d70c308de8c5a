"""Map a model's raw scores to probabilities that mean what they say.

The booster is trained with class weights (to learn the rare class), which inflates its
probabilities; a cost-based threshold and a planner reading "12% risk" both need calibrated
values. Platt scaling (a logistic curve on the raw score) is stable with few positives; isotonic
regression is more flexible but overfits small folds. ``method="auto"`` picks whichever has the
lower Brier score in K contiguous folds of the calibration data, so the choice itself is made on
held-out rows.

Isotonic regression is a step function: every score inside one step gets the same probability,
so the order the model found among them would be lost, and with it ranking quality (PR-AUC
falls when the highest scores share one step).
The isotonic map here keeps the model's order: it is blended with ``TIE_BREAK`` of the logistic
of the raw score, which moves no probability by more than 1e-6 and makes the map strictly
increasing.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

METHODS = ("platt", "isotonic")
# Weight of expit(raw score) in the isotonic map: breaks the steps' ties in the model's order.
TIE_BREAK = 1e-6


def _make(method: str) -> BaseEstimator:
    if method == "platt":
        return LogisticRegression(C=1e6, max_iter=1000)
    if method == "isotonic":
        return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    raise ValueError(f"calibration method must be one of {METHODS} or 'auto', got {method!r}")


def _fit(method: str, scores: np.ndarray, y: np.ndarray) -> BaseEstimator:
    model = _make(method)
    return model.fit(scores.reshape(-1, 1) if method == "platt" else scores, y)


def _apply(model: BaseEstimator, scores: np.ndarray) -> np.ndarray:
    """The fitted map in closed form: scikit-learn's ``predict`` checks its input on every call,
    which costs more than the map itself on the service's few rows per request."""
    if isinstance(model, LogisticRegression):
        return expit(scores * model.coef_[0, 0] + model.intercept_[0])
    # IsotonicRegression(out_of_bounds="clip"): linear between thresholds, flat beyond them;
    # the tie-break keeps the order of scores within a flat step (module docstring).
    steps = np.interp(scores, model.X_thresholds_, model.y_thresholds_)
    return (1.0 - TIE_BREAK) * steps + TIE_BREAK * expit(scores)


class ProbabilityCalibrator(BaseEstimator):
    """Fit on (raw score, label) pairs of a fold the model did not train on.

    Fitted attributes: ``method_`` (the chosen method), ``calibrator_`` and ``cv_brier_`` (mean
    held-out Brier per candidate method; empty when the method was fixed).
    """

    def __init__(self, method: str = "auto", n_folds: int = 5):
        self.method = method
        self.n_folds = n_folds

    def fit(self, scores: object, y: object) -> ProbabilityCalibrator:
        s = np.asarray(scores, dtype=float).ravel()
        t = np.asarray(y, dtype=float).ravel()
        if s.shape != t.shape:
            raise ValueError(f"scores has {s.size} values but y has {t.size}")
        if t.min(initial=0) == t.max(initial=0):
            raise ValueError("calibration fold needs both classes; it has only one")
        self.cv_brier_: dict[str, float] = {}
        if self.method == "auto":
            self.cv_brier_ = {m: self._cv_brier(m, s, t) for m in METHODS}
            self.method_ = min(self.cv_brier_, key=self.cv_brier_.get)
        else:
            _make(self.method)
            self.method_ = self.method
        self.calibrator_ = _fit(self.method_, s, t)
        return self

    def _cv_brier(self, method: str, s: np.ndarray, t: np.ndarray) -> float:
        errors = []
        for fit_idx, held_idx in KFold(self.n_folds, shuffle=False).split(s):
            if t[fit_idx].min() == t[fit_idx].max():
                continue
            model = _fit(method, s[fit_idx], t[fit_idx])
            errors.append(np.mean((_apply(model, s[held_idx]) - t[held_idx]) ** 2))
        return float(np.mean(errors)) if errors else float("inf")

    def predict(self, scores: object) -> np.ndarray:
        """Calibrated probabilities for raw scores."""
        return _apply(self.calibrator_, np.asarray(scores, dtype=float).ravel())
