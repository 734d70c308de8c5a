"""The demand forecaster and lead-time model of the closed-loop benchmark, trained before a cut-off.

``train_world_models`` fits the project's own ``DemandForecaster`` (daily P10/P50/P90, 7 days
ahead) and ``LeadTimeModel`` (delay P10/P50/P90 after the promised date, p_late) on the canonical
tables of the history period only (``Checkpoint.history_tables``); it refuses a frame with a row
dated on or after the cut-off. Their settings are the recipe ``training.recipes.CLOSED_LOOP``.
The replayed policy reads them through ``policy.forecasts`` (``ForecastDemand``) and
``policy.lead_times`` (``ModelLeadTimes``), with the parameters of ``policy.parameters.POLICY``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import pandas as pd

from features.timeseries import TIME
from training.forecasting.model import DemandForecaster
from training.lead_time.model import LeadTimeModel
from training.lead_time.overdue import OverdueDelay
from training.recipes import CLOSED_LOOP, LEAD_TIME_SPEC, ClosedLoopJob, demand_spec
from training.world_datasets import daily_demand, received_po_lines


@dataclass(frozen=True)
class TrainedModels:
    demand: DemandForecaster
    lead_time: LeadTimeModel
    overdue: OverdueDelay | None  # remaining delay of lines past their usual delay; None: too few lines
    demand_history_days: int  # days of demand the forecaster is fitted on and re-anchored on
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
    tables: dict[str, pd.DataFrame], cutoff: pd.Timestamp, job: ClosedLoopJob = CLOSED_LOOP
) -> TrainedModels:
    """Fit the demand forecaster and the lead-time model of ``job`` on rows dated before ``cutoff``."""
    started = time.perf_counter()
    demand, lines = training_frames(tables, cutoff, job.demand.history_days)
    # Reorder points need expected demand: the forecaster's own mean booster, not a mean rebuilt
    # from P10/P50/P90 (biased by world, see ``DemandSpec.mean_objective``).
    forecaster = DemandForecaster(replace(demand_spec(job.demand), mean_objective="tweedie")).fit(demand)
    # The policy follows each supplier's current state with its tracking signal, so the lead-time
    # quantiles describe a supplier in its normal state (docs/decisions.md).
    lead_time = LeadTimeModel(
        LEAD_TIME_SPEC, num_boost_round=job.lead_time_rounds, typical_supplier_offsets=True
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
        demand_history_days=job.demand.history_days,
        demand_frame_end=demand[TIME].max(),
        po_frame_end=max(pd.to_datetime(lines["received_date"]).max(), pd.to_datetime(lines["order_date"]).max()),
        demand_rows=len(demand),
        po_rows=len(lines),
        seconds=time.perf_counter() - started,
    )
