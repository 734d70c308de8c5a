"""Reasons name the feature that drives the prediction, with the row's value."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.engine import ModelSpec, fit_lightgbm
from training.risk.explanations import top_reasons

TEMPLATES = {
    "projected_stock": "projected stock at lead time is {value:.0f} units",
    "noise_a": "noise a is {value:.2f}",
    "noise_b": "noise b is {value:.2f}",
}


def test_reasons_name_the_feature_that_drives_the_label():
    rng = np.random.default_rng(3)
    n = 4000
    X = pd.DataFrame(
        {
            "projected_stock": rng.normal(0, 50, n).round(),
            "noise_a": rng.normal(size=n),
            "noise_b": rng.normal(size=n),
        }
    )
    y = (X["projected_stock"] < -30).astype(int)
    spec = ModelSpec("toy", "binary", tuple(TEMPLATES), num_boost_round=50)
    booster = fit_lightgbm(spec, X, y)
    risky = X[X["projected_stock"] < -60].head(20)
    reasons = top_reasons(
        booster.predict(risky, pred_contrib=True), risky, list(TEMPLATES), TEMPLATES, k=2
    )
    assert (reasons["feature_1"] == "projected_stock").all()
    first = risky.index[0]
    value = risky.loc[first, "projected_stock"]
    assert reasons.loc[first, "reason_1"] == f"projected stock at lead time is {value:.0f} units"
    assert (reasons["impact_1"] > 0).all()
