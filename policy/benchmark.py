"""The closed-loop benchmark: the decision engine against the ERP baseline on one seeded world.

Three phases on one world: (i) the history, days ``0 .. cutoff - 1``, runs under the ERP
baseline; (ii) the demand forecaster and the lead-time model are trained on the canonical tables
of that history only (nothing dated on or after the cut-off); (iii) the remaining days are replayed
twice from the same end-of-history state, under the baseline and under the model-driven policy.
Demand and supplier delays are pre-drawn from the seed (common random numbers), so both replays
face the same orders and the same supplier behaviour and every difference is the policy's doing.
The figures cover the replayed days only.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pandas as pd

from policy.decision_policy import DecisionPolicy
from policy.forecasts import ForecastDemand, WorldKeys
from policy.lead_times import ModelLeadTimes
from policy.parameters import POLICY, PolicyParameters
from simulation import BaselinePolicy, SimulationConfig
from simulation.run import Checkpoint, checkpoint
from training.closed_loop import TrainedModels, train_world_models
from training.recipes import CLOSED_LOOP, ClosedLoopJob

METRICS = ("backordered_units", "fill_rate", "lines_late", "avg_days_late", "avg_inventory_value")


def _summary(metrics: dict[str, object]) -> dict[str, object]:
    """The figures the benchmark compares, with cost by component."""
    return {
        **{name: metrics[name] for name in METRICS},
        "total_cost": metrics["total_cost"],
        "cost": metrics["cost"],
    }


def model_policy(start: Checkpoint, job: ClosedLoopJob = CLOSED_LOOP) -> tuple[DecisionPolicy, TrainedModels]:
    """The decision policy (``POLICY``) fed by the models of ``job`` trained on ``start``'s history
    (before its cut-off)."""
    models = train_world_models(start.history_tables(), pd.Timestamp(start.world.date(start.cutoff)), job)
    return trained_policy(start, models, POLICY), models


def trained_policy(start: Checkpoint, models: TrainedModels, parameters: PolicyParameters) -> DecisionPolicy:
    """The decision policy on already trained models (policy variants share one training)."""
    config, cutoff = start.config, start.cutoff
    keys = WorldKeys(start.world)
    promo = start.demand.promotions
    promotions = pd.DataFrame(
        {
            "n": promo.n,
            "announced_day": promo.announced_day,
            "start_day": promo.start_day,
            "end_day": promo.end_day,
            "discount": promo.discount,
        }
    )
    history_days = models.demand_history_days
    history = start.demand.units[max(0, cutoff - history_days) : cutoff]
    return DecisionPolicy(
        n_suppliers=config.n_suppliers,
        service_level=parameters.service_level,
        window=config.forecast_window_days,
        order_cost=config.ordering_cost,
        demand=ForecastDemand(
            models,
            keys,
            history,
            cutoff,
            promotions,
            history_days,
            parameters.forecast_every,
            parameters.level_window,
            parameters.launch_window,
        ),
        lead_times=ModelLeadTimes(models, keys, parameters.supplier_window, parameters.overdue_tail),
        substitute=parameters.substitute,
    )


def benchmark_policies(
    config: SimulationConfig, history_days: int = 365, substitute: bool = False
) -> dict[str, object]:
    """Baseline history up to ``history_days``, models trained on it, both policies replayed after it;
    with ``substitute``, the model policy a second time offering substitutes (``model_substitute``,
    with ``substituted_units``: units shipped from substitutes)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    start = checkpoint(config, history_days, BaselinePolicy.from_config(config))
    timings["history"] = time.perf_counter() - started
    baseline = start.resume(BaselinePolicy.from_config(config))
    timings["baseline_replay"] = time.perf_counter() - started - sum(timings.values())
    policy, trained = model_policy(start)
    timings["training"] = trained.seconds
    replay_started = time.perf_counter()
    model = start.resume(policy)
    timings["model_replay"] = time.perf_counter() - replay_started
    policies = {"baseline": _summary(baseline.metrics), "model": _summary(model.metrics)}
    if substitute:
        replay_started = time.perf_counter()
        offered = start.resume(trained_policy(start, trained, replace(POLICY, substitute=True))).metrics
        timings["substitute_replay"] = time.perf_counter() - replay_started
        policies["model_substitute"] = {**_summary(offered), "substituted_units": offered["substituted_units"]}
    return {
        "seed": config.seed,
        "days": config.n_days - history_days,
        "policies": policies,
        "_info": {
            "history_days": history_days,
            "demand_training_end": str(trained.demand_frame_end.date()),
            "lead_time_training_end": str(trained.po_frame_end.date()),
            "replay_start": str(pd.Timestamp(start.world.date(history_days)).date()),
            "seconds": {k: round(v, 1) for k, v in timings.items()},
        },
    }
