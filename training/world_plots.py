"""What a training run shows a person: its plots and its backtest table, logged beside the metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve


def pr_curve_figure(y_true: np.ndarray, scores: dict[str, np.ndarray]) -> Figure:
    """Precision-recall curves of the model and its baselines on the test fold."""
    figure = Figure(figsize=(5, 4))
    axes = figure.subplots()
    for name, score in scores.items():
        precision, recall, _ = precision_recall_curve(y_true, score)
        axes.plot(recall, precision, label=name)
    axes.axhline(float(np.mean(y_true)), color="grey", linestyle=":", label="base rate")
    axes.set(xlabel="recall", ylabel="precision", title="Precision-recall (test fold)")
    axes.legend(fontsize=8)
    return figure


def calibration_figure(reliability: pd.DataFrame) -> Figure:
    """Mean predicted vs observed backorder rate per quantile bin (reliability curve)."""
    figure = Figure(figsize=(5, 4))
    axes = figure.subplots()
    top = float(max(reliability["predicted"].max(), reliability["observed"].max(), 1e-3))
    axes.plot([0, top], [0, top], color="grey", linestyle=":")
    axes.plot(reliability["predicted"], reliability["observed"], marker="o")
    axes.set(xlabel="predicted probability", ylabel="observed rate", title="Calibration (test fold)")
    return figure


def backtest_markdown(table: pd.DataFrame) -> str:
    """The backtest table as Markdown: overall rows first, then per origin and demand class."""
    cols = ["model", "segment", "n", "mae", "mase", "wape", "pinball", "coverage_80"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in table[cols].itertuples(index=False):
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
