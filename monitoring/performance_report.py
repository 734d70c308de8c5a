"""Evidently's classification report of labelled logged lines against the training reference.

Our own numbers (``retraining.labelled_performance``) drive the decision; this report is for the
person reading ``monitor.html``: confusion, PR and ROC curves, calibration, side by side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from evidently import BinaryClassification, DataDefinition, Dataset, Report
from evidently.presets import ClassificationPreset


def classification_report_html(
    reference: pd.DataFrame, labelled: pd.DataFrame, label: str = "label", score: str = "prediction"
) -> str | None:
    """HTML of Evidently's ClassificationPreset, or None when either side lacks both classes."""
    frames = [f[[label, score]].dropna().astype({label: "int64", score: "float64"}) for f in (reference, labelled)]
    if any(f[label].nunique() < 2 for f in frames):
        return None
    definition = DataDefinition(
        classification=[BinaryClassification(target=label, prediction_probas=score, pos_label=1)]
    )
    reference_set, current_set = (Dataset.from_pandas(f, data_definition=definition) for f in frames)
    # Scores constant on one side make Evidently's correlations divide by a zero spread (NaN, shown
    # as such); numpy's warning about it is noise.
    with np.errstate(divide="ignore", invalid="ignore"):
        snapshot = Report([ClassificationPreset()]).run(current_data=current_set, reference_data=reference_set)
    return snapshot.get_html_str(as_iframe=False)
