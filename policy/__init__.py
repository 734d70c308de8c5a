"""The closed-loop decision policy: the decision engine run day by day inside the simulator.

``DecisionPolicy`` plugs ``decisions`` into the simulator's ``Policy`` hook: it turns a day's
``StateView`` into decision-engine frames (``frames``: stock, positions, open PO lines, lanes) and
the engine's recommendations back into ``DailyDecisions``. Its inputs are supplier delays learnt
online from ASNs (``delays``) or the models trained before a cut-off
(``training.closed_loop``), read as quantiles by ``forecasts.ForecastDemand`` and
``lead_times.ModelLeadTimes``. It is what the closed-loop benchmark (``backorder benchmark
policy``) replays against the textbook ERP baseline from the same state of the same seeded world,
with the parameters declared in ``parameters`` (``POLICY``).
``policy`` may import ``simulation``, ``decisions``, ``training``, ``features``, ``contracts`` and
``settings``; only ``pipelines`` imports it.
"""

from policy.decision_policy import DecisionPolicy
from policy.parameters import POLICY, PolicyParameters

__all__ = ["POLICY", "DecisionPolicy", "PolicyParameters"]
