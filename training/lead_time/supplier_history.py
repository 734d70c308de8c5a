"""Each supplier's recent delays as known at a point in time, as features of its PO lines.

A line's statistics come from the same supplier's lines that were both due and received before
the line's known-at date: ``min(due date - gap_days, cut-off)``. A line's own delay and those of
lines due with it or after it never enter, and an open line sees only what was received by the
cut-off, so the rule is the same when fitting on delivered lines and when scoring open ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.lead_time.features import LeadTimeSpec, delay_days

STATS = ("recent_p10", "recent_p50", "recent_p90", "recent_late_share")


def supplier_history(delivered: pd.DataFrame, spec: LeadTimeSpec) -> pd.DataFrame:
    """``supplier, known, delay`` of delivered lines, sorted by the day their delay is known
    (the later of due and receipt)."""
    known = delivered[[spec.due_col, spec.received_col]].max(axis=1)
    table = pd.DataFrame(
        {"supplier": delivered[spec.supplier_col].to_numpy(), "known": known.to_numpy(),
         "delay": delay_days(delivered, spec).to_numpy()}
    ).dropna()
    return table.sort_values(["supplier", "known"], kind="stable").reset_index(drop=True)


def recent_supplier_delays(
    history: pd.DataFrame,
    lines: pd.DataFrame,
    spec: LeadTimeSpec,
    cutoff: pd.Timestamp,
    window: int,
    gap_days: float,
) -> pd.DataFrame:
    """``STATS`` of the last ``window`` lines of each line's supplier in ``history``
    (``supplier_history``) known strictly before the line's known-at date; NaN without any."""
    known_at = (lines[spec.due_col] - pd.Timedelta(days=gap_days)).clip(upper=cutoff).to_numpy()
    out = np.full((len(lines), len(STATS)), np.nan)
    groups = {s: g for s, g in history.groupby("supplier", sort=False)}
    suppliers = lines[spec.supplier_col].to_numpy()
    for supplier, rows in pd.Series(np.arange(len(lines))).groupby(suppliers, sort=False):
        past = groups.get(supplier)
        if past is None:
            continue
        delay = past["delay"].to_numpy()
        ends = np.searchsorted(past["known"].to_numpy(), known_at[rows.to_numpy()], side="left")
        for row, end in zip(rows.to_numpy(), ends, strict=True):
            if end == 0:
                continue
            recent = delay[max(0, end - window):end]
            out[row, :3] = np.quantile(recent, (0.1, 0.5, 0.9))
            out[row, 3] = float(np.mean(recent > 0))
    return pd.DataFrame(out, columns=list(STATS), index=lines.index)
