"""The decision engine: turns forecasts and risk into actions a planner can accept or reject.

It takes the other layers' outputs as plain DataFrames with documented columns (stock positions,
open PO lines with delay quantiles, demand quantiles per SKU-location, backorder probabilities,
lanes and supplier terms) and returns recommendations: promise dates (ATP), priority allocation,
transfers between locations (one min-cost-flow LP over all SKUs, solved by HiGHS), expedites
and emergency orders, replenishment parameters, and for each scored order line of a request one
action (``decisions.actions``). Every function is pure and vectorized, imports
no model or simulator, and every recommendation carries its reason, expected effect and cost
(``decisions.recommendation``), so the service, the planner report and the simulator's policy
adapter all call the same code.
"""

from decisions.actions import ActionPlanner, SupplySource, choose_actions
from decisions.allocation import allocate
from decisions.atp import eta_at_confidence, inbound_by_date, promise_dates
from decisions.emergency import choose_emergency_orders
from decisions.expedite import choose_expedites
from decisions.priority import PriorityRules
from decisions.promising import promise_lines
from decisions.reallocation import plan_transfers
from decisions.recommendation import (
    RECOMMENDATION_COLUMNS,
    Recommendation,
    combine_recommendations,
    to_records,
)
from decisions.replenishment import reorder_recommendations, replenishment_parameters
from decisions.supply import SupplyRows, eta_dates

__all__ = [
    "RECOMMENDATION_COLUMNS",
    "ActionPlanner",
    "PriorityRules",
    "Recommendation",
    "SupplyRows",
    "SupplySource",
    "allocate",
    "choose_actions",
    "choose_emergency_orders",
    "choose_expedites",
    "combine_recommendations",
    "eta_at_confidence",
    "eta_dates",
    "inbound_by_date",
    "plan_transfers",
    "promise_dates",
    "promise_lines",
    "reorder_recommendations",
    "replenishment_parameters",
    "to_records",
]
