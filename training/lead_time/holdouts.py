"""The lead-time model scored at several cut-offs beside its baselines.

At each cut-off the model is fitted on the lines received by then and scored on the lines still
open then, the question an ETA service is asked on that day, beside its baselines fitted on the
same lines: the quoted date, and the per-supplier delay quantiles exactly as the service gives
them when no lead-time model is promoted (``SupplierDelayQuantiles``, raised to the least delay of
a line still open), so a promoted model is ahead of what would serve without it. ``backorder train
lead-time`` logs the mean over the cut-offs, which the promotion gate reads, so a model is promoted
on several periods rather than on one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from contracts.keys import DAY
from training.lead_time.baselines import SupplierDelayQuantiles, quoted_baseline
from training.lead_time.evaluate import open_at_cutoff_split, score_delays
from training.lead_time.features import LeadTimeSpec, as_datetime
from training.lead_time.model import LeadTimeModel

MODEL = "lightgbm"
# The baselines scored beside the model at each cut-off, under the names their metrics are logged with.
SERVED_SUPPLIER_QUANTILES = "baseline_supplier_quantiles"
QUOTED_DATE = "baseline_quoted"
BASELINES = (SERVED_SUPPLIER_QUANTILES, QUOTED_DATE)


@dataclass(frozen=True)
class LeadTimeHoldout:
    """The lead-time model fitted at ``cutoff`` and scored with its baselines on the lines open
    then (``scores``: one row per model), and what it was scored on."""

    cutoff: pd.Timestamp
    end: pd.Timestamp
    model: LeadTimeModel
    hidden: pd.DataFrame
    truth: np.ndarray
    predictions: dict[str, pd.DataFrame]
    scores: pd.DataFrame


def last_receipt(lines: pd.DataFrame, spec: LeadTimeSpec) -> pd.Timestamp:
    """The latest received date; raises ``ValueError`` when no line was received."""
    received = as_datetime(lines[spec.received_col])
    if received.notna().sum() == 0:
        raise ValueError("purchase_orders: no received line to learn lead times from")
    return received.max()


def backtest_cutoffs(
    lines: pd.DataFrame, spec: LeadTimeSpec, test_days: int, count: int, step_days: int, min_history_days: int
) -> list[pd.Timestamp]:
    """Up to ``count`` cut-offs, earliest first: ``test_days`` before the last receipt and every
    ``step_days`` before that. An earlier cut-off is left out when less than ``min_history_days``
    of orders, or no received line, come before it, or no line is open after it; the latest is
    always kept (the data minimum of ``training.readiness`` guarantees its history)."""
    end = last_receipt(lines, spec)
    latest = (end - pd.Timedelta(days=test_days)).normalize()
    received = as_datetime(lines[spec.received_col])
    first_order = as_datetime(lines[spec.order_col or spec.due_col]).min()
    kept = [latest]
    for k in range(1, count):
        cutoff = latest - pd.Timedelta(days=k * step_days)
        enough_history = cutoff - first_order >= pd.Timedelta(days=min_history_days)
        if enough_history and (received <= cutoff).any() and (received > cutoff).any():
            kept.append(cutoff)
    return sorted(kept)


def lines_open_at(
    lines: pd.DataFrame, spec: LeadTimeSpec, cutoff: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """What a model fitted at ``cutoff`` learns from and is scored on: the lines received by then
    (dates parsed), the lines still open then without their receipt, and those lines' delays in days."""
    history, open_lines = open_at_cutoff_split(lines, spec, cutoff)
    history = history.assign(**{c: as_datetime(history[c]) for c in (spec.due_col, spec.received_col)})
    truth = ((as_datetime(open_lines[spec.received_col]) - as_datetime(open_lines[spec.due_col])) / DAY).to_numpy()
    hidden = open_lines.drop(columns=[spec.received_col]).reset_index(drop=True)
    return history, hidden, truth


def lead_time_holdout(
    lines: pd.DataFrame, spec: LeadTimeSpec, cutoff: pd.Timestamp, model_options: dict[str, Any] | None = None
) -> LeadTimeHoldout:
    """Fit at ``cutoff`` and score the lines open then beside the baselines (``BASELINES``);
    ``model_options`` are ``LeadTimeModel`` keywords beside the spec (None: its
    defaults, the world's recipe)."""
    end = last_receipt(lines, spec)
    history, hidden, truth = lines_open_at(lines, spec, cutoff)
    model = LeadTimeModel(spec, **(model_options or {})).fit(history, cutoff)
    late_share = float((history[spec.received_col] > history[spec.due_col]).mean())
    preds = {
        MODEL: model.predict(hidden),
        SERVED_SUPPLIER_QUANTILES: SupplierDelayQuantiles(spec, cutoff).fit(history).predict(hidden),
        QUOTED_DATE: quoted_baseline(hidden, spec, late_share),
    }
    rows = []
    for name, pred in preds.items():
        scores = score_delays(truth, pred.reset_index(drop=True))
        scores["late_roc_auc"] = scores.pop("late_auc")
        rows.append({"model": name, **scores})
    return LeadTimeHoldout(cutoff, end, model, hidden, truth, preds, pd.DataFrame(rows))


def cutoff_scores(holdouts: list[LeadTimeHoldout]) -> pd.DataFrame:
    """Every model's scores at every cut-off, one row per (cut-off, model)."""
    return pd.concat(
        [h.scores.assign(cutoff=str(h.cutoff.date())) for h in holdouts], ignore_index=True
    )[["cutoff", *holdouts[0].scores.columns]]


def backtest_metrics(scores: pd.DataFrame) -> dict[str, float]:
    """Each score's mean over the cut-offs, the model's under its own name and each baseline's as
    ``<baseline>.<score>``, and the spread of the pinball loss as ``pinball_sd`` (0 for one cut-off)."""
    values = scores.drop(columns=["cutoff", "n"]).groupby("model")
    means = values.mean()
    spread = values["pinball"].std(ddof=1).fillna(0.0)
    metrics: dict[str, float] = {}
    for model in means.index:
        prefix = "" if model == MODEL else f"{model}."
        metrics.update({f"{prefix}{k}": float(v) for k, v in means.loc[model].items()})
        metrics[f"{prefix}pinball_sd"] = float(spread.loc[model])
    return metrics


@dataclass(frozen=True)
class RecipeChoice:
    """The recipe a data set's cut-offs chose (``name``), its holdouts, and every recipe's pinball
    loss at every cut-off with its paired difference to the first recipe (``comparison``)."""

    name: str
    holdouts: list[LeadTimeHoldout]
    comparison: pd.DataFrame


def choose_recipe(
    lines: pd.DataFrame, spec: LeadTimeSpec, cutoffs: list[pd.Timestamp], recipes: dict[str, dict[str, Any]]
) -> RecipeChoice:
    """Score every recipe (``LeadTimeModel`` keywords by name) at every cut-off and keep the first
    unless another has a lower pinball loss by more than the spread of the paired differences
    (their sd over the cut-offs, so at least three are needed); of several such, the largest gain."""
    holdouts = {
        name: [lead_time_holdout(lines, spec, cutoff, options) for cutoff in cutoffs]
        for name, options in recipes.items()
    }
    pinball = pd.DataFrame({
        name: [float(h.scores.loc[h.scores["model"] == MODEL, "pinball"].iloc[0]) for h in runs]
        for name, runs in holdouts.items()
    }, index=[str(c.date()) for c in cutoffs])
    first = next(iter(recipes))
    gain = pinball.rsub(pinball[first], axis=0)  # > 0: lower loss than the first recipe
    mean, spread = gain.mean(), gain.std(ddof=1)
    beyond = mean[(mean > spread) & (len(cutoffs) >= 3)]
    name = str(beyond.idxmax()) if len(beyond) else first
    comparison = pinball.rename_axis("cutoff").reset_index().melt("cutoff", var_name="recipe", value_name="pinball")
    comparison["gain_over_first"] = gain.rename_axis("cutoff").reset_index().melt("cutoff")["value"].to_numpy()
    comparison["chosen"] = comparison["recipe"] == name
    return RecipeChoice(name, holdouts[name], comparison)
