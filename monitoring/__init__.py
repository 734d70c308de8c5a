"""Monitoring: is the world the models see still the world they were trained on?

Compares logged predictions and their features with the training reference (data drift and
prediction drift, computed by Evidently with pinned methods and thresholds), measures model
performance once outcomes join the log, and turns both into an explicit retraining decision.
Drift is judged only once the log holds enough logged days and lines (``evidence``), and
what callers choose to request is reported apart from the model-state features.
Pure functions over DataFrames; the ``backorder monitor`` command reads the logs and writes the
HTML report and JSON summary.
"""
