"""Model training: one LightGBM code path, driven by one recipe per model.

Every model of the project (backorder risk classifiers, demand forecaster, supplier lead-time
model, the Kaggle benchmark model) is declared once in ``training.recipes`` and fitted by
``training.engine`` from a ``ModelSpec``: time-based folds, early stopping on a later fold, and,
for classifiers, calibration and a cost-based threshold. The models' own code is grouped per
model family (``training.risk``, ``training.forecasting``, ``training.lead_time``). ``training``
may import ``features``, ``contracts`` and ``settings``, never ``serving`` or ``pipelines``.
"""
