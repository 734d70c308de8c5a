"""Pick the alert threshold by expected cost, not by a default of 0.5.

Flagging a SKU costs ``action_cost`` (expedite, transfer, planner time); a backorder that was not
flagged costs ``backorder_penalty``. Assuming the action prevents the backorder, the cost of
flagging every row with probability >= t is ``action_cost * flagged + backorder_penalty * missed``.
With calibrated probabilities the optimum is near ``action_cost / backorder_penalty``; we search
the empirical optimum on a held-out fold and report both.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class ThresholdChoice:
    threshold: float
    expected_cost_per_row: float
    flagged_share: float
    recall: float
    precision: float
    bayes_threshold: float
    cost_flag_nothing_per_row: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _check_costs(backorder_penalty: float, action_cost: float) -> None:
    if backorder_penalty <= 0 or action_cost <= 0:
        raise ValueError(
            "backorder_penalty and action_cost must be > 0, "
            f"got {backorder_penalty} and {action_cost}"
        )


def expected_cost(
    y_true: object, y_prob: object, threshold: float, backorder_penalty: float, action_cost: float
) -> float:
    """Average cost per row of flagging every row with probability >= ``threshold``."""
    _check_costs(backorder_penalty, action_cost)
    y = np.asarray(y_true, dtype=bool)
    flagged = np.asarray(y_prob, dtype=float) >= threshold
    return float((action_cost * flagged.sum() + backorder_penalty * (y & ~flagged).sum()) / y.size)


def choose_threshold(
    y_true: object, y_prob: object, backorder_penalty: float, action_cost: float
) -> ThresholdChoice:
    """The threshold with the lowest expected cost on (y_true, y_prob), among the scores' values."""
    _check_costs(backorder_penalty, action_cost)
    y = np.asarray(y_true, dtype=bool)
    p = np.asarray(y_prob, dtype=float)
    if y.size == 0:
        raise ValueError("choose_threshold: no rows")
    order = np.argsort(-p, kind="stable")
    p_sorted, y_sorted = p[order], y[order]
    # Candidate cut after each block of equal scores: flag the first k rows.
    last_of_block = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    k = np.flatnonzero(last_of_block) + 1
    caught = np.cumsum(y_sorted)[k - 1]
    total = int(y.sum())
    costs = np.r_[backorder_penalty * total, action_cost * k + backorder_penalty * (total - caught)]
    best = int(np.argmin(costs))
    if best == 0:
        threshold, n_flag, n_caught = float(np.nextafter(p_sorted[0], np.inf)), 0, 0
    else:
        threshold, n_flag, n_caught = (
            float(p_sorted[k[best - 1] - 1]),
            int(k[best - 1]),
            int(caught[best - 1]),
        )
    return ThresholdChoice(
        threshold=threshold,
        expected_cost_per_row=float(costs[best] / y.size),
        flagged_share=n_flag / y.size,
        recall=n_caught / total if total else float("nan"),
        precision=n_caught / n_flag if n_flag else float("nan"),
        bayes_threshold=action_cost / backorder_penalty,
        cost_flag_nothing_per_row=float(backorder_penalty * total / y.size),
    )
