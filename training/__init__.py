"""Model training: one LightGBM code path, driven by a small spec per model.

Every model of the project (backorder risk classifier, demand forecaster, supplier lead-time
model) is fitted by ``training.engine`` from a ``ModelSpec``: time-based folds, early stopping on
a later fold, and, for classifiers, calibration and a cost-based threshold. Model-specific modules
only declare specs and the features they need. ``training`` may import ``features`` and
``contracts``, never ``serving`` or ``pipelines``.
"""
