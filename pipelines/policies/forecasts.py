"""Trained forecasts as the decision policy's inputs: models fitted on the history before a cut-off.

``train_world_models`` fits the project's own ``DemandForecaster`` (daily P10/P50/P90, 7 days
ahead) and ``LeadTimeModel`` (delay P10/P50/P90 after the promised date, p_late) on the canonical
tables of the history period only (``Checkpoint.history_tables``); it refuses a frame with a row
dated on or after the cut-off. During the replay the policy reads them through two sources:

- ``ForecastDemand`` re-anchors the fitted forecaster at today (features from the demand seen up
  to today, no refit) every ``refresh_every`` days, with promotions announced by today as known
  covariates, and turns the daily forecasts into demand quantiles over any horizon (the mean
  booster's expected demand, the split-normal s.d. of the daily quantiles, days independent;
  beyond the model's horizon the weekly average). Its level is corrected per category by the
  ratio of actual to forecast demand of the forecasts made in the last ``level_window`` days
  whose week is already observed (``training.forecasting.level``). A SKU launched in the last
  ``launch_window`` days is forecast at least at last week's rate (``training.forecasting.launch``).
- ``ModelLeadTimes`` (``pipelines.policies.lead_times``) reads the lead-time model the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from decisions import quantiles
from features.timeseries import ID, TARGET, TIME
from simulation.policy import StateView
from simulation.world import World, world_tables
from training.forecasting.launch import launch_floor
from training.forecasting.level import level_factors
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
    # quantiles describe a supplier in its normal state (docs/decisions.md).
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


class WorldKeys:
    """The canonical ids and dates of the simulator's integer indices (n, supplier, day)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.sku = world.sku_ids[world.sku_of]
        self.location = world.location_ids[world.location_of]
        self.series = pd.Series(self.sku).astype(str) + "|" + pd.Series(self.location).astype(str)
        categories = dict(zip(*_sku_categories(world), strict=True))
        self.category = np.array([categories[s] for s in self.sku], dtype=object)
        self.launch_day = world.launch_day[world.sku_of]  # the catalog's launch day of each SKU

    def date(self, day: np.ndarray | int) -> np.ndarray:
        return np.asarray(self.world.date(day), dtype="datetime64[ns]")


def _sku_categories(world: World) -> tuple[np.ndarray, np.ndarray]:
    skus = world_tables(world)["skus"]
    return skus["sku_id"].to_numpy(), skus["category"].to_numpy()


class ForecastDemand:
    """Demand quantiles over the next ``horizon`` days from the trained forecaster."""

    def __init__(
        self,
        models: TrainedModels,
        keys: WorldKeys,
        history: np.ndarray,
        first_day: int,
        promotions: pd.DataFrame,
        history_days: int = 120,
        refresh_every: int = 1,
        level_window: int = 28,
        launch_window: int = 0,
    ) -> None:
        """``history``: (days, N) units ordered on days ``first_day - days .. first_day - 1``.

        ``promotions``: ``n, announced_day, start_day, end_day, discount`` (all announced ones;
        a promotion is used only from its announcement day on). ``launch_window``: days after a
        SKU's launch during which its forecast is floored at last week's rate (0: never).
        """
        if level_window + models.demand.spec.horizon > history_days:
            raise ValueError("level_window + the forecast horizon must fit in history_days")
        self.forecaster = models.demand
        self.keys = keys
        self.history_days = history_days
        self.refresh_every = refresh_every
        self.buffer = np.asarray(history, dtype=float)[-history_days:]
        self.last_day = first_day - 1
        self.promotions = promotions
        self.made_on = -(10**9)
        self.horizon = self.forecaster.spec.horizon
        self.daily_mean = self.daily_sd = np.zeros((len(keys.sku), self.horizon))
        self.level_window = level_window
        self.launch_window = launch_window
        self.made: list[tuple[int, np.ndarray]] = []  # (day, raw forecast of the next horizon days)
        self.level = np.ones(len(keys.sku))
        self.seconds = 0.0

    def _observe(self, view: StateView) -> None:
        new = view.day - self.last_day
        if new <= 0:
            return
        rows = np.asarray(view.demand_history[-new:], dtype=float)
        self.buffer = np.concatenate([self.buffer, rows])[-self.history_days :]
        self.last_day = view.day

    def _refresh(self, day: int) -> None:
        started = time.perf_counter()
        days, n_total = self.buffer.shape
        dates = self.keys.date(np.arange(day - days + 1, day + 1))
        frame = pd.DataFrame(
            {
                ID: np.repeat(self.keys.series.to_numpy(), days),
                TIME: np.tile(dates, n_total),
                TARGET: self.buffer.T.ravel(),
                "category": np.repeat(self.keys.category, days),
            }
        )
        frame["promo_active"], frame["promo_discount"] = 0.0, 0.0
        self.forecaster.anchor(frame)  # re-anchor the fitted boosters at today (no refit)
        future = self._future(day)
        pred = self.forecaster.predict(self.horizon, future)
        p = {q: pred[q].to_numpy().reshape(n_total, self.horizon) for q in ("p10", "p50", "p90")}
        order = pd.Index(pred[ID].to_numpy().reshape(n_total, self.horizon)[:, 0]).get_indexer(self.keys.series)
        p = {q: v[order] for q, v in p.items()}
        raw = np.maximum(pred["mean"].to_numpy().reshape(n_total, self.horizon)[order], 0.0)
        self.level = self._level(day, raw)
        self.daily_mean = raw * self.level[:, None]
        self.daily_sd = quantiles.std(p["p10"], p["p50"], p["p90"]) * self.level[:, None]
        if self.launch_window > 0:
            age = day - self.keys.launch_day
            launched = (age >= 0) & (age < self.launch_window)
            self.daily_mean, self.daily_sd = launch_floor(self.daily_mean, self.daily_sd, self.buffer[-7:], launched)
        self.made_on = day
        self.seconds += time.perf_counter() - started

    def _level(self, day: int, raw: np.ndarray) -> np.ndarray:
        """Per-category tracking signal over the recent forecasts whose whole horizon is observed."""
        self.made = [(d, f) for d, f in self.made if d > day - self.level_window - self.horizon]
        scored = [(d, f) for d, f in self.made if d + self.horizon <= day]
        self.made.append((day, raw.sum(axis=1)))
        if not scored:
            return np.ones(len(raw))
        rows = len(self.buffer) - 1 - day  # buffer row of day 0; the last row is today
        actual = [self.buffer[rows + d + 1 : rows + d + 1 + self.horizon].sum(axis=0) for d, _ in scored]
        return level_factors(np.array([f for _, f in scored]), np.array(actual), self.keys.category)

    def _future(self, day: int) -> pd.DataFrame:
        n_total = len(self.keys.sku)
        steps = np.arange(1, self.horizon + 1)
        active = np.zeros((n_total, self.horizon))
        promo = self.promotions
        known = promo[
            (promo["announced_day"] <= day) & (promo["end_day"] > day) & (promo["start_day"] <= day + self.horizon)
        ]
        for row in known.itertuples(index=False):
            on = (day + steps >= row.start_day) & (day + steps <= row.end_day)
            active[row.n] = np.where(on, np.maximum(active[row.n], row.discount), active[row.n])
        return pd.DataFrame(
            {
                ID: np.repeat(self.keys.series.to_numpy(), self.horizon),
                TIME: self.keys.date(day + np.tile(steps, n_total)),
                "promo_active": (active.ravel() > 0).astype(float),
                "promo_discount": active.ravel(),
            }
        )

    def quantiles(self, view: StateView, horizon: float) -> np.ndarray:
        """``(N, 3)`` p10/p50/p90 of demand over days ``today + 1 .. today + horizon``."""
        self._observe(view)
        if view.day - self.made_on >= self.refresh_every:
            self._refresh(view.day)
        offset = view.day - self.made_on
        steps = offset + np.arange(1, int(np.ceil(horizon)) + 1)
        inside = steps[steps <= self.horizon] - 1
        beyond = int((steps > self.horizon).sum())
        mean = self.daily_mean[:, inside].sum(axis=1) + beyond * self.daily_mean.mean(axis=1)
        var = (self.daily_sd[:, inside] ** 2).sum(axis=1) + beyond * (self.daily_sd**2).mean(axis=1)
        spread = quantiles.Z90 * np.sqrt(var)
        return np.column_stack([np.maximum(mean - spread, 0.0), mean, mean + spread])
