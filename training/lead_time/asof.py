"""Point-in-time ("as-of") delay predictions per PO line: what the lead-time model said when it was placed.

The model is refitted on a schedule; a line placed on day d gets the predictions of the latest
refit dated on or before d, fitted only on lines received strictly before that refit date. So a
line's predicted arrival never depends on a delivery that happened after it was ordered, and a
feature built on it is the same whether the history is replayed or served live.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import pandas as pd

from contracts.keys import DAY
from training.lead_time.features import LeadTimeSpec, coerce_po_lines
from training.lead_time.model import LeadTimeModel
from training.splits import latest_refit


def asof_delays(
    lines: pd.DataFrame,
    spec: LeadTimeSpec,
    refits: Sequence[pd.Timestamp],
    at_order: dict[str, object] | None = None,
    num_boost_round: int = 1000,
    models: dict[pd.Timestamp, LeadTimeModel] | None = None,
    predicted: Collection[object] = (),
    model_options: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Delay quantiles, ETA quantiles and ``p_late`` of each line ordered on or after the first refit.

    ``lines`` are PO lines with ``spec``'s columns (``spec.order_col`` required); ``at_order``
    overrides input columns with what was known at ordering (e.g. ``{"is_expedited": 0.0}``: an
    expedite is decided later). Lines ordered before the first refit, or without an order date,
    are not in the result, nor are the lines whose id is in ``predicted`` (done by an earlier run:
    they still count as history). ``models`` holds fitted models by refit date: those present are
    used as they are, the refits fitted here are added. ``model_options`` are ``LeadTimeModel``
    keywords of each refit (a recipe of ``training.recipes.LEAD_TIME_RECIPES``).
    Columns: ``spec.id_col``, ``refit`` and ``LeadTimeModel.predict``'s outputs.
    """
    if not spec.order_col:
        raise ValueError("as-of delays need the order date column (LeadTimeSpec.order_col)")
    refits = sorted(pd.Timestamp(r) for r in refits)
    data = coerce_po_lines(lines, spec, need_received=True)
    models = {} if models is None else models
    which = np.where(data[spec.order_col].isna(), -1, latest_refit(data[spec.order_col], refits))
    if (which < 0).all():
        raise ValueError("no PO line ordered on or after the first refit date")
    which[data[spec.id_col].isin(list(predicted)).to_numpy()] = -1
    pieces = []
    for k in np.unique(which[which >= 0]):
        refit = refits[k]
        if refit not in models:
            history = data[data[spec.received_col] < refit]
            options = {"num_boost_round": num_boost_round, **(model_options or {})}
            models[refit] = LeadTimeModel(spec, **options).fit(history, refit - DAY)
        batch = data[which == k].drop(columns=[spec.received_col]).assign(**(at_order or {}))
        pieces.append(models[refit].predict(batch).assign(refit=refit))
    return pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame()
