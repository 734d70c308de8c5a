"""Lead-time baselines: the quoted date taken at its word, and per-supplier empirical quantiles.

Both are fitted on delivered lines only and ignore the cut-off, which is what a planner without a
model would use. Suppliers unseen in the history fall back to the quantiles over all suppliers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.lead_time.features import LeadTimeSpec, delay_days


def quoted_baseline(lines: pd.DataFrame, spec: LeadTimeSpec, late_share: float) -> pd.DataFrame:
    """Delay 0 at every quantile; p_late = the historical share of late lines (a constant)."""
    zeros = np.zeros(len(lines))
    return pd.DataFrame(
        {
            spec.id_col: lines[spec.id_col].to_numpy(),
            "p10": zeros,
            "p50": zeros,
            "p90": zeros,
            "p_late": np.full(len(lines), late_share),
        }
    )


def supplier_quantile_baseline(
    history: pd.DataFrame,
    lines: pd.DataFrame,
    spec: LeadTimeSpec,
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
) -> pd.DataFrame:
    """Per-supplier empirical delay quantiles and late share of the delivered ``history``."""
    done = history[history[spec.received_col].notna()]
    table = pd.DataFrame(
        {"s": done[spec.supplier_col].to_numpy(), "d": delay_days(done, spec).to_numpy()}
    )
    if table.empty:
        raise ValueError("PO lines: no delivered line in the history")
    table["late"] = table["d"] > 0
    names = [f"p{round(q * 100)}" for q in quantiles]
    per = table.groupby("s")["d"].quantile(list(quantiles)).unstack()
    per.columns = names
    per["p_late"] = table.groupby("s")["late"].mean()
    overall = pd.Series(
        [*np.quantile(table["d"], quantiles), table["late"].mean()], index=[*names, "p_late"]
    )
    out = per.reindex(lines[spec.supplier_col].to_numpy()).fillna(overall)
    out.insert(0, spec.id_col, lines[spec.id_col].to_numpy())
    return out.reset_index(drop=True)


def shrink_toward_suppliers(
    model: pd.DataFrame, suppliers: pd.DataFrame, supplier_lines: np.ndarray, prior_lines: float
) -> pd.DataFrame:
    """``model``'s P10/P50/P90 moved toward ``suppliers``' (``supplier_quantile_baseline``) with
    weight ``n / (n + prior_lines)``, ``n`` the line's supplier's delivered lines: a supplier with a
    long record stays close to its own history, an unseen one keeps the model's quantiles."""
    weight = (supplier_lines / (supplier_lines + prior_lines))[:, None]
    cols = ["p10", "p50", "p90"]
    out = model.copy()
    blended = (1 - weight) * model[cols].to_numpy(dtype="float64")
    out[cols] = blended + weight * suppliers[cols].to_numpy(dtype="float64")
    return out
