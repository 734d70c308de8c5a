"""The decision policy's parameters, declared once: what the closed-loop benchmark runs with.

``backorder benchmark policy`` runs the model-fed policy with ``POLICY``, and
``DecisionPolicy`` defaults to its service level. The choices behind the values are in
docs/decisions.md; ``benchmarks/policy_variants.py`` replays variants of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PolicyParameters:
    """How the decision policy sets its reorder points and reads the trained models.

    ``service_level``: of the reorder points (``decisions.replenishment_parameters``);
    ``forecast_every``: days between re-anchored demand forecasts during the replay;
    ``level_window``: days of scored forecasts in the per-category level correction;
    ``launch_window``: days after a launch its forecast is floored at last week's rate (0: never);
    ``supplier_window``: days of due PO lines in the supplier tracking signal (0: none);
    ``overdue_tail``: an overdue line's median is its run-up plus the history's median remaining
    delay of such lines (``training.lead_time.overdue``);
    ``substitute``: a line its own stock leaves short ships from its SKU's substitutes' free stock.
    """

    service_level: float
    forecast_every: int
    level_window: int
    launch_window: int
    supplier_window: int
    overdue_tail: bool
    substitute: bool = False


POLICY = PolicyParameters(
    service_level=0.90,
    forecast_every=2,
    level_window=28,
    launch_window=56,
    supplier_window=14,
    overdue_tail=True,
)
