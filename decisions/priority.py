"""Who is served first when stock is short: priority rules declared as data, applied by one sort.

Allocation and promise dates both consume stock line by line in priority order; keeping the
order in one place means a promise never contradicts the allocation it anticipates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from contracts.tables import TIERS

# rule name -> (column(s) it needs, ascending?)
RULES: dict[str, tuple[tuple[str, ...], bool]] = {
    "tier": (("customer_tier",), True),  # gold first
    "sla": (("customer_tier", "order_time"), True),  # earliest SLA due date first
    "requested_date": (("requested_date",), True),  # earliest requested date first
    "margin": (("unit_margin",), False),  # highest margin per unit first
}


@dataclass(frozen=True)
class PriorityRules:
    """Ordered sort rules; ties go by ``order_time`` (if present), ``order_id``, ``line_id``.

    ``keys`` picks and orders rules from ``RULES``. ``sla_days`` sets, per tier, the days after
    ``order_time`` by which a line is due (the ``sla`` rule sorts by that due date).
    """

    keys: tuple[str, ...] = ("tier", "requested_date", "margin")
    tier_rank: Mapping[str, int] = field(
        default_factory=lambda: {t: i for i, t in enumerate(TIERS)}
    )
    sla_days: Mapping[str, int] = field(
        default_factory=lambda: {"gold": 1, "silver": 3, "bronze": 7}
    )

    def __post_init__(self) -> None:
        unknown = [k for k in self.keys if k not in RULES]
        if unknown:
            raise ValueError(f"unknown priority rule(s) {unknown}; choose from {list(RULES)}")

    def required_columns(self) -> list[str]:
        cols: list[str] = []
        for key in self.keys:
            cols += [c for c in RULES[key][0] if c not in cols]
        return cols


def priority_order(lines: pd.DataFrame, rules: PriorityRules) -> np.ndarray:
    """Row positions of ``lines`` sorted by SKU-location, then ``rules``, then tie-breakers."""
    missing = [c for c in rules.required_columns() if c not in lines.columns]
    if missing:
        raise ValueError(
            f"order lines lack column(s) {missing} needed by priority rules {rules.keys}"
        )
    # np.lexsort takes numeric keys, last key first: codes for SKU-location, then rule values.
    keys = [pd.factorize(lines["sku_id"])[0], pd.factorize(lines["location_id"])[0]]
    for key in rules.keys:
        values = _sortable(_rule_values(lines, key, rules))
        keys.append(values if RULES[key][1] else -values)
    for tie in (c for c in ("order_time", "order_id", "line_id") if c in lines.columns):
        keys.append(_sortable(lines[tie].to_numpy()))
    return np.lexsort(keys[::-1])  # stable: equal keys keep the input order


def _sortable(values: np.ndarray) -> np.ndarray:
    """Numbers as they are, dates as int64 nanoseconds, text as its rank in sorted order."""
    if np.issubdtype(values.dtype, np.datetime64):
        return values.astype("datetime64[ns]").astype(np.int64)
    if np.issubdtype(values.dtype, np.number) or values.dtype == bool:
        return values.astype(float)
    return pd.factorize(values, sort=True)[0]


def _rule_values(lines: pd.DataFrame, key: str, rules: PriorityRules) -> np.ndarray:
    if key in ("tier", "sla"):
        tier = lines["customer_tier"]
        unknown = sorted(set(tier.dropna().unique()) - set(rules.tier_rank))
        if unknown or tier.isna().any():
            raise ValueError(
                f"order lines have customer_tier values {unknown or [None]} without a rank"
            )
        if key == "tier":
            return tier.map(rules.tier_rank).to_numpy()
        days = tier.map(rules.sla_days)
        if days.isna().any():
            raise ValueError(
                f"PriorityRules.sla_days lacks tier(s) {sorted(tier[days.isna()].unique())}"
            )
        return (pd.to_datetime(lines["order_time"]) + pd.to_timedelta(days, unit="D")).to_numpy()
    values = lines[RULES[key][0][0]]
    if values.isna().any():
        raise ValueError(f"order lines column {RULES[key][0][0]} has nulls (priority rule {key!r})")
    return values.to_numpy()
