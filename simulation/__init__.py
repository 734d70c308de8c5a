"""Seeded supply-chain simulator: the world every model and policy is trained and judged on.

It generates SKUs, distribution centres, suppliers and lanes; negative-binomial demand with
seasonality, trend, promotions, surges, launches and phase-outs arriving as tiered customer
orders; supplier lead times with drifting reliability, disruption episodes, short shipments and
ASNs; then runs a vectorized daily loop (receive, decide, allocate) under a pluggable ``Policy``
(the textbook ERP reorder-point rule by default) and returns the canonical tables plus service
and cost metrics. Exogenous randomness comes from keyed streams, so two policies replayed on
one seed face identical demand and supplier delays. Depends only on ``contracts``; pure (no I/O).
"""

from simulation.config import SCENARIOS, Knobs, SimulationConfig, scenario_config
from simulation.policy import BaselinePolicy, DailyDecisions, Policy, StateView, Terms
from simulation.run import SimulationResult, simulate

__all__ = [
    "SCENARIOS",
    "BaselinePolicy",
    "DailyDecisions",
    "Knobs",
    "Policy",
    "SimulationConfig",
    "SimulationResult",
    "StateView",
    "Terms",
    "scenario_config",
    "simulate",
]
