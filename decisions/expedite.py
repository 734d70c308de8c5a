"""Expedites: which open PO lines to pull in, by expected avoided backorder cost against their cost.

A PO line helps a SKU-location only if it arrives by the need date. Its delay distribution
(p10/p50/p90 days after the promised date) gives that probability now and after an expedite
that saves ``expedite_days_saved`` days. The expected units saved are the gain in on-time
probability times the backorders the PO's units would prevent, with the other POs counted at
their expected on-time units. An expedite is recommended only when the expected avoided
backorder cost exceeds its cost (units times ``expedite_cost_per_unit``). Several expedites at
one SKU-location would save the same shortfall twice, so per SKU-location they are ranked by
net benefit and each is re-valued on top of the expected units the better-ranked ones add (a
greedy pass done with one cumulative sum); it is kept only if it still pays off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contracts.keys import SKU_LOCATION
from decisions import position, quantiles
from decisions.atp import check_inbound
from decisions.inputs import require_columns, require_unique
from decisions.recommendation import add_recommendation_columns, no_recommendations

TERMS_COLUMNS = {
    "sku_id": "key",
    "supplier_id": "key",
    "expedite_days_saved": "nonneg",
    "expedite_cost_per_unit": "nonneg",
}


def choose_expedites(
    positions: pd.DataFrame,
    inbound: pd.DataFrame,
    expedite_terms: pd.DataFrame,
    include_rejected: bool = False,
) -> pd.DataFrame:
    """Evaluate every expeditable open PO line at a SKU-location of ``positions``.

    ``positions``: see ``decisions.position`` (its ``inbound_quantity``, if any, is stock arriving
    besides these POs, e.g. planned transfers). ``inbound``: open PO lines as in
    ``decisions.atp.check_inbound`` plus ``supplier_id``. ``expedite_terms``: sku_id, supplier_id,
    expedite_days_saved, expedite_cost_per_unit (rows with nulls mean "cannot expedite", as in the
    ``sku_suppliers`` table). Returns the chosen expedites (all evaluated lines with a ``chosen``
    flag if ``include_rejected``) with the recommendation columns; ``subject`` is the PO id.
    """
    pos = position.check_positions(positions).reset_index(drop=True)
    check_inbound(inbound)
    require_columns(inbound, "inbound", {"supplier_id": "key"})
    require_columns(expedite_terms, "expedite_terms", {"sku_id": "key", "supplier_id": "key"})
    terms = expedite_terms.astype(
        {"expedite_days_saved": "Float64", "expedite_cost_per_unit": "Float64"}
    )
    terms = terms.dropna(subset=["expedite_days_saved", "expedite_cost_per_unit"]).astype(
        {"expedite_days_saved": float, "expedite_cost_per_unit": float}
    )
    require_columns(terms, "expedite_terms", TERMS_COLUMNS)
    require_unique(terms, "expedite_terms", ["sku_id", "supplier_id"])

    po = inbound.merge(pos[SKU_LOCATION].assign(row=np.arange(len(pos))), on=SKU_LOCATION, how="inner")
    po = po.merge(terms[list(TERMS_COLUMNS)], on=["sku_id", "supplier_id"], how="left")
    if po.empty:
        return _finish(po.assign(chosen=pd.Series(dtype=bool)), include_rejected)
    row = po["row"].to_numpy()
    need = pos["need_date"].to_numpy()[row]
    slack = (need - po["promised_date"].to_numpy()) / np.timedelta64(1, "D")
    delay = [po[c].to_numpy(float) for c in ("delay_p10", "delay_p50", "delay_p90")]
    saved_days = po["expedite_days_saved"].fillna(0).to_numpy(float)
    p_now = quantiles.cdf(slack, *delay)
    p_exp = quantiles.cdf(slack + saved_days, *delay)
    qty = po["quantity"].to_numpy(float)

    expected_in = np.zeros(len(pos))
    np.add.at(expected_in, row, qty * p_now)
    base = position.projected_stock(pos)
    stock_all = base + expected_in  # status quo: every PO at its expected on-time units
    ratio = position.risk_ratio(pos, stock_all)
    others = stock_all[row] - qty * p_now
    prow = pos.iloc[row]
    prevented = position.backorders_prevented(prow, others, qty, ratio[row])
    po["need_date"] = need
    po["on_time_probability_before"] = p_now
    po["on_time_probability_after"] = p_exp
    po["expected_backorders"] = position.expected_backorders(prow, stock_all[row], 0.0, ratio[row])
    po["units_saved"] = (p_exp - p_now) * prevented
    po["penalty"] = pos["backorder_penalty"].to_numpy(float)[row]
    po["expedite_cost"] = qty * po["expedite_cost_per_unit"].fillna(0).to_numpy(float)
    net = (po["units_saved"] * po["penalty"] - po["expedite_cost"]).to_numpy()
    candidate = (saved_days > 0) & po["expedite_cost_per_unit"].notna().to_numpy() & (net > 0)

    # Greedy by net benefit per SKU-location, in one pass: each candidate is re-valued on top of
    # the expected units the better-ranked candidates already add (convexity: values only drop).
    order = np.lexsort((-net, row))
    extra = np.where(candidate, qty * (p_exp - p_now), 0.0)[order]
    added = pd.Series(extra).groupby(row[order]).cumsum().to_numpy() - extra
    added_by_po = np.empty_like(added)
    added_by_po[order] = added
    marginal = position.backorders_prevented(prow, others + added_by_po, qty, ratio[row])
    po["units_saved"] = np.where(candidate, (p_exp - p_now) * marginal, po["units_saved"])
    po["chosen"] = (
        candidate & (po["units_saved"] * po["penalty"] - po["expedite_cost"] > 0).to_numpy()
    )
    po["_candidate"] = candidate
    return _finish(po, include_rejected)


def _finish(po: pd.DataFrame, include_rejected: bool) -> pd.DataFrame:
    if po.empty:
        return no_recommendations(po, "expedite")
    pct = "{:.0%}".format
    f = "{:.1f}".format
    why_not = np.select(
        [
            po["expedite_cost_per_unit"].isna(),
            po["expedite_days_saved"].fillna(0) <= 0,
            ~po["_candidate"],
        ],
        [
            "not expedited: the supplier offers no expedite for this SKU",
            "not expedited: an expedite saves no days",
            "not expedited: expected avoided cost below the expedite cost",
        ],
        "not expedited: after the better expedites at this SKU-location it no longer pays off",
    )
    effect = (
        "PO "
        + po["po_id"].astype(str)
        + " ("
        + po["quantity"].map("{:g}".format).astype(object)
        + " units, promised "
        + po["promised_date"].dt.strftime("%Y-%m-%d")
        + ") arrives by the need date "
        + po["need_date"].dt.strftime("%Y-%m-%d")
        + " with probability "
        + po["on_time_probability_before"].map(pct).astype(object)
        + ", "
        + po["on_time_probability_after"].map(pct).astype(object)
        + " if expedited by "
        + po["expedite_days_saved"].fillna(0).map("{:g}".format).astype(object)
        + " days; saves "
        + po["units_saved"].map(f).astype(object)
        + " expected backorder units worth "
        + (po["units_saved"] * po["penalty"]).map("{:.0f}".format).astype(object)
        + " for an expedite cost of "
        + po["expedite_cost"].map("{:.0f}".format).astype(object)
    )
    reason = np.where(
        po["chosen"], "Expedite: " + effect, effect + "; " + pd.Series(why_not, index=po.index)
    )
    out = po if include_rejected else po[po["chosen"]]
    reason = pd.Series(reason, index=po.index).loc[out.index]
    out = add_recommendation_columns(
        out.drop(columns=["row", "_candidate"]),
        action="expedite",
        subject=out["po_id"].astype(str),
        quantity=out["quantity"],
        expected_units_saved=out["units_saved"],
        unit_penalty=out["penalty"],
        cost=out["expedite_cost"],
        reason=reason,
    )
    return out.sort_values("net_benefit", ascending=False, ignore_index=True)
