"""The demand forecaster and lead-time model of the closed-loop benchmark, trained before a cut-off.

``train_world_models`` fits the project's own ``DemandForecaster`` (daily P10/P50/P90, 7 days
ahead) and ``LeadTimeModel`` (delay P10/P50/P90 after the promised date, p_late) on the canonical
tables of the history period only (``Checkpoint.history_tables``); it refuses a frame with a row
dated on or after the cut-off. The replayed policy reads them through ``policy.forecasts``
(``ForecastDemand``) and ``policy.lead_times`` (``ModelLeadTimes``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import pandas as pd

from features.timeseries import TIME
from training.forecasting.model import DemandForecaster
from training.lead_time.model import LeadTimeModel
from training.lead_time.overdue import OverdueDelay
from training.world_datasets import daily_demand, received_po_lines
from training.world_models import LEAD_TIME_SPEC, DemandJob, demand_spec


@dataclass(frozen=True)
class ModelSettings:
    """Small, fast training settings (the benchmark trains once per seed on 2 cores), and the
    service level of the policy the trained models feed."""

    demand_history_days: int = 120
    demand_rounds: int = 100
    demand_learning_rate: float = 0.15
    lead_time_rounds: int = 300
    forecast_every: int = 2  # days between re-anchored demand forecasts during the replay
    level_window: int = 28  # days of scored forecasts in the per-category level correction
    launch_window: int = 56  # days after a launch its forecast is floored at last week's rate
    supplier_window: int = 14  # days of due PO lines in the supplier tracking signal
    overdue_tail: bool = True  # an overdue line's median: run-up + history's median rest (OverdueDelay)
    service_level: float = 0.90  # of the model policy's reorder points; set on seeds 0-2 only


@dataclass(frozen=True)
class TrainedModels:
    demand: DemandForecaster
    lead_time: LeadTimeModel
    overdue: OverdueDelay | None  # remaining delay of lines past their usual delay; None: too few lines
    demand_frame_end: pd.Timestamp  # last date of the demand training frame
    po_frame_end: pd.Timestamp  # last order / receipt date of the lead-time training lines
    demand_rows: int
    po_rows: int
    seconds: float


def training_frames(
    tables: dict[str, pd.DataFrame], cutoff: pd.Timestamp, history_days: int | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Demand frame and received PO lines from ``tables``; every row dated before ``cutoff``."""
    demand = daily_demand(
        tables["order_lines"],
        tables["orders"],
        tables["promotions"],
        tables["inventory_snapshots"],
        tables["skus"],
        history_days=history_days,
    )
    lines = received_po_lines(tables["purchase_orders"], tables["skus"])
    lines = lines[lines["received_date"].notna()].reset_index(drop=True)
    if demand[TIME].max() >= cutoff:
        raise ValueError(f"demand frame reaches {demand[TIME].max()}, on or after the cut-off {cutoff}")
    last_po = max(pd.to_datetime(lines["received_date"]).max(), pd.to_datetime(lines["order_date"]).max())
    if last_po >= cutoff:
        raise ValueError(f"PO lines reach {last_po}, on or after the cut-off {cutoff}")
    return demand, lines


def train_world_models(
    tables: dict[str, pd.DataFrame], cutoff: pd.Timestamp, settings: ModelSettings = ModelSettings()
) -> TrainedModels:
    """Fit the demand forecaster and the lead-time model on rows dated before ``cutoff``."""
    started = time.perf_counter()
    demand, lines = training_frames(tables, cutoff, settings.demand_history_days)
    job = DemandJob(
        history_days=settings.demand_history_days,
        learning_rate=settings.demand_learning_rate,
        num_boost_round=settings.demand_rounds,
    )
    # Reorder points need expected demand: the forecaster's own mean booster, not a mean rebuilt
    # from P10/P50/P90 (biased by world, see ``DemandSpec.mean_objective``).
    forecaster = DemandForecaster(replace(demand_spec(job), mean_objective="tweedie")).fit(demand)
    # The policy follows each supplier's current state with its tracking signal, so the lead-time
    # quantiles describe a supplier in its normal state (docs/decisions.md, issue 7).
    lead_time = LeadTimeModel(
        LEAD_TIME_SPEC, num_boost_round=settings.lead_time_rounds, typical_supplier_offsets=True
    ).fit(lines)
    overdue = OverdueDelay()
    if len(lines) >= overdue.min_lines:
        delay = (pd.to_datetime(lines["received_date"]) - pd.to_datetime(lines["promised_date"])) / pd.Timedelta(days=1)
        overdue.fit(lines["supplier_id"].to_numpy(), delay.to_numpy())
    else:
        overdue = None  # a small test world may have too few lines to learn a tail from
    return TrainedModels(
        demand=forecaster,
        lead_time=lead_time,
        overdue=overdue,
        demand_frame_end=demand[TIME].max(),
        po_frame_end=max(pd.to_datetime(lines["received_date"]).max(), pd.to_datetime(lines["order_date"]).max()),
        demand_rows=len(demand),
        po_rows=len(lines),
        seconds=time.perf_counter() - started,
    )
