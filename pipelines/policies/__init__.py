"""Policies that plug the decision engine into the simulator's ``Policy`` hook.

Only ``pipelines`` may import both ``simulation`` and ``decisions``, so the adapter that turns a
day's ``StateView`` into decision-engine frames (stock, positions, open PO lines, lanes) and the
engine's recommendations back into ``DailyDecisions`` lives here. It is what the closed-loop
benchmark (``backorder benchmark policy``) replays against the textbook ERP baseline on the same
seeded world.
"""

from pipelines.policies.decision_policy import DecisionPolicy

__all__ = ["DecisionPolicy"]
