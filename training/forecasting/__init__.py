"""Probabilistic demand forecasting: a direct multi-horizon LightGBM global model with P10/P50/P90
(quantile objectives corrected by split conformal calibration), statistical baselines from
statsforecast, and rolling-origin backtests that score all of them the same way.
"""
