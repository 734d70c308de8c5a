"""Lead-time baselines: the quoted date taken at its word, and per-supplier empirical quantiles.

Both are fitted on delivered lines only and ignore the cut-off, which is what a planner without a
model would use. Suppliers unseen in the history fall back to the quantiles over all suppliers.
``SupplierDelayQuantiles`` is the per-supplier one raised to what a line still open at the as-of
date must take: it serves where no lead-time champion is registered, so it is the baseline the
promotion gate compares a lead-time model with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.lead_time.features import LeadTimeSpec, as_datetime, delay_days, open_delay_floor


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
    per_supplier, overall = _supplier_quantiles(history, spec, quantiles)
    out = per_supplier.reindex(lines[spec.supplier_col].to_numpy()).fillna(overall)
    out.insert(0, spec.id_col, lines[spec.id_col].to_numpy())
    return out.reset_index(drop=True)


def _supplier_quantiles(
    history: pd.DataFrame, spec: LeadTimeSpec, quantiles: tuple[float, ...]
) -> tuple[pd.DataFrame, pd.Series]:
    """Delay quantiles ``p10...`` and late share per supplier of the delivered ``history``, and
    the same over all suppliers (for a supplier without delivered lines)."""
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
    return per, overall


class SupplierDelayQuantiles:
    """What open POs are given when no ``lead_time`` champion is registered: their supplier's
    empirical delay quantiles and late share over the lines received by ``as_of`` (the per-supplier
    baseline the champion has to beat), raised to the least delay a line still open on ``as_of``
    can have. Same outputs as the champion: row-aligned ``p10, p50, p90, p_late``."""

    quantiles = (0.1, 0.5, 0.9)

    def __init__(self, spec: LeadTimeSpec, as_of: pd.Timestamp) -> None:
        self.spec = spec
        self.as_of = pd.Timestamp(as_of)

    def fit(self, lines: pd.DataFrame) -> SupplierDelayQuantiles:
        """Learn from the lines of ``lines`` received by ``as_of``; ``ValueError`` without any."""
        spec = self.spec
        dated = lines.assign(**{c: as_datetime(lines[c]) for c in (spec.due_col, spec.received_col)})
        known = dated[dated[spec.received_col] <= self.as_of]
        self.per_supplier_, self.overall_ = _supplier_quantiles(known, spec, self.quantiles)
        self.lines_ = len(known)
        return self

    def predict(self, open_lines: pd.DataFrame) -> pd.DataFrame:
        """Row-aligned ``p10, p50, p90`` (delay days after the promised date) and ``p_late``."""
        spec = self.spec
        out = self.per_supplier_.reindex(open_lines[spec.supplier_col].to_numpy()).fillna(self.overall_)
        quantiles = out[["p10", "p50", "p90"]].to_numpy(dtype="float64")
        floor = open_delay_floor(as_datetime(open_lines[spec.due_col]), self.as_of)
        quantiles = np.fmax(quantiles, floor[:, None])  # fmax: a missing promised date imposes nothing
        p_late = np.where(floor >= 1, 1.0, out["p_late"].to_numpy(dtype="float64"))
        return pd.DataFrame({"p10": quantiles[:, 0], "p50": quantiles[:, 1], "p90": quantiles[:, 2], "p_late": p_late})


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
