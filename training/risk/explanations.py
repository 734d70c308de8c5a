"""Per-prediction reasons from LightGBM TreeSHAP contributions (``pred_contrib=True``).

A planner acts on "projected stock at lead time is -40 units", not on a feature index: each of
the top contributions pushing a prediction toward backorder is rendered with the feature's
reason template and the row's own value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def top_reasons(
    contributions: np.ndarray,
    features: pd.DataFrame,
    feature_names: Sequence[str],
    templates: Mapping[str, str],
    k: int = 3,
) -> pd.DataFrame:
    """The ``k`` features with the largest positive contribution per row.

    ``contributions`` is (rows, features + 1) with the bias last, as LightGBM returns it.
    Columns: reason_1..k (text, empty if fewer positive contributions), feature_1..k, impact_1..k
    (log-odds). Rows keep the index of ``features``.
    """
    names = list(feature_names)
    contrib = np.asarray(contributions, dtype=float)[:, : len(names)]
    if contrib.shape[0] != len(features):
        raise ValueError(f"{contrib.shape[0]} contribution rows for {len(features)} feature rows")
    missing = [n for n in names if n not in templates]
    if missing:
        raise ValueError(f"no reason template for feature(s) {', '.join(missing)}")
    k = min(k, len(names))
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :k]
    impact = np.take_along_axis(contrib, order, axis=1)
    values = features[names].to_numpy(dtype=float)
    picked = np.take_along_axis(values, order, axis=1)
    out = pd.DataFrame(index=features.index)
    name_array = np.asarray(names, dtype=object)
    for j in range(k):
        chosen = name_array[order[:, j]]
        text = [
            templates[n].format(value=v) if imp > 0 else ""
            for n, v, imp in zip(chosen, picked[:, j], impact[:, j], strict=True)
        ]
        out[f"reason_{j + 1}"] = text
        out[f"feature_{j + 1}"] = np.where(impact[:, j] > 0, chosen, "")
        out[f"impact_{j + 1}"] = impact[:, j]
    return out
