"""Policies that plug the decision engine into the simulator's ``Policy`` hook.

Only ``pipelines`` may import both ``simulation`` and ``decisions``, so the adapter that turns a
day's ``StateView`` into decision-engine frames (stock, positions, open PO lines, lanes) and the
engine's recommendations back into ``DailyDecisions`` lives here, with ``forecasts``: the demand
and lead-time models trained on the history before a cut-off, served to the policy as quantiles.
It is what the closed-loop benchmark (``backorder benchmark policy``) replays against the
textbook ERP baseline from the same state of the same seeded world.
"""

from pipelines.policies.decision_policy import DecisionPolicy

__all__ = ["DecisionPolicy"]
