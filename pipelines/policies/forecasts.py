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
- ``ModelLeadTimes`` predicts the delay quantiles of every PO line once, from what is known when
  it is placed, and of a hypothetical primary-supplier order placed today (reorder lead times);
  an ASN replaces the prediction by the announced date, an open line's delay is at least
  ``today + 1 - promised`` and an expedite takes its days off. A supplier whose lines due in the
  last ``signal_window`` days ran behind the model gets that lag added to the median and P90 delay
  of its orders (``training.lead_time.tracking``).
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
from training.lead_time.tracking import delay_excess
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
    service_level: float = 0.90  # of the model policy's reorder points; set on seeds 0-2 only


@dataclass(frozen=True)
class TrainedModels:
    demand: DemandForecaster
    lead_time: LeadTimeModel
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
    lead_time = LeadTimeModel(LEAD_TIME_SPEC, num_boost_round=settings.lead_time_rounds).fit(lines)
    return TrainedModels(
        demand=forecaster,
        lead_time=lead_time,
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


class ModelLeadTimes:
    """Delay quantiles (days after the promised date) of open and hypothetical PO lines."""

    def __init__(self, models: TrainedModels, keys: WorldKeys, signal_window: int = 0) -> None:
        """``signal_window``: days of due PO lines in the supplier tracking signal (0: none)."""
        self.model = models.lead_time
        self.keys = keys
        self.signal_window = signal_window
        self.known = np.zeros((0, 3))  # per PO id, predicted at placement
        self.supplier = np.zeros(0, dtype=np.int64)  # per PO id
        self.promised = np.zeros(0, dtype=np.int64)  # per PO id
        self.observed = np.zeros(0)  # per PO id: delay announced by its ASN, NaN before
        self.credit = np.zeros(0)  # per PO id: days an expedite took off its delay
        self.excess = np.zeros(0)  # per supplier: days its recent lines run behind the model
        self.seconds = 0.0

    def _lines(
        self,
        view: StateView,
        n: np.ndarray,
        slot: np.ndarray,
        order_day: np.ndarray,
        promised: np.ndarray,
        quantity: np.ndarray,
        ids: np.ndarray,
    ) -> pd.DataFrame:
        world = self.keys.world
        supplier = view.terms.supplier[n, slot]
        return pd.DataFrame(
            {
                "po_id": ids,
                "supplier_id": world.supplier_ids[supplier],
                "promised_date": self.keys.date(promised),
                "order_date": self.keys.date(order_day),
                "location_id": self.keys.location[n],
                "category": self.keys.category[n],
                "quantity": quantity.astype(float),
                "is_expedited": 0.0,
            }
        )

    def _predict(self, lines: pd.DataFrame) -> np.ndarray:
        started = time.perf_counter()
        pred = self.model.predict(lines)
        self.seconds += time.perf_counter() - started
        return pred[["p10", "p50", "p90"]].to_numpy(float)

    def open_po(self, view: StateView) -> np.ndarray:
        """``(P, 3)`` delay quantiles of the view's open PO lines."""
        ids = view.po_id
        if len(ids) and ids.max() >= len(self.known):
            self._grow(int(ids.max()) + 1)
        todo = np.isnan(self.known[ids, 0]) if len(ids) else np.zeros(0, dtype=bool)
        if todo.any():
            self.supplier[ids[todo]] = view.terms.supplier[view.po_n[todo], view.po_slot[todo]]
            self.promised[ids[todo]] = view.po_promised_day[todo]
            self.known[ids[todo]] = self._predict(
                self._lines(
                    view,
                    view.po_n[todo],
                    view.po_slot[todo],
                    view.po_order_day[todo],
                    view.po_promised_day[todo],
                    view.po_quantity[todo],
                    ids[todo],
                )
            )
        announced = view.po_eta >= 0
        exact = (view.po_eta - view.po_promised_day).astype(float)[:, None]
        saved = np.where(view.po_expedited, view.terms.expedite_days_saved[view.po_n, view.po_slot], 0)
        self.observed[ids[announced]] = exact[announced, 0]
        self.credit[ids] = saved
        if self.signal_window > 0:
            self.excess = self._excess(view)
        delay = self.known[ids].copy()
        delay[:, 1:] += self._shift(self.supplier[ids])[:, None]
        delay -= saved[:, None]
        floor = (view.day + 1 - view.po_promised_day).astype(float)[:, None]
        delay = np.maximum(delay, floor)
        return np.where(announced[:, None], exact, delay)

    def _grow(self, size: int) -> None:
        """Extend the per-PO-id arrays to ``size`` ids."""
        old = len(self.known)
        self.known = np.concatenate([self.known, np.full((size - old, 3), np.nan)])
        self.supplier = np.concatenate([self.supplier, np.full(size - old, -1, dtype=np.int64)])
        self.promised = np.concatenate([self.promised, np.zeros(size - old, dtype=np.int64)])
        self.observed = np.concatenate([self.observed, np.full(size - old, np.nan)])
        self.credit = np.concatenate([self.credit, np.zeros(size - old)])

    def _excess(self, view: StateView) -> np.ndarray:
        """Per supplier, days its lines due in the last ``signal_window`` days ran behind the model.

        A line counts with its announced delay, or, still open without ASN, with the larger of its
        predicted median and the delay it has already run up; an expedite's days are added back
        (they are the policy's doing, not the supplier's). Called once per view, after today's
        ASNs are recorded.
        """
        n_suppliers = int(view.terms.supplier.max()) + 1
        due = (self.promised > view.day - self.signal_window) & (self.promised <= view.day)
        due &= ~np.isnan(self.known[:, 0])
        open_now = np.zeros(len(self.known), dtype=bool)
        open_now[view.po_id] = True
        overdue = np.maximum(view.day + 1 - self.promised, self.known[:, 1])
        observed = np.where(np.isnan(self.observed), np.where(open_now, overdue, np.nan), self.observed + self.credit)
        used = due & ~np.isnan(observed)
        return delay_excess(self.supplier[used], observed[used], self.known[used, 1], n_suppliers)

    def _shift(self, supplier: np.ndarray) -> np.ndarray:
        """Tracking-signal days added to the median and P90 delay of lines of ``supplier``."""
        if not len(self.excess):
            return np.zeros(len(supplier))
        return self.excess[supplier]

    def new_orders(self, view: StateView) -> tuple[np.ndarray, np.ndarray]:
        """Delay quantiles ``(N, 3)`` of a primary order placed today, and on-time share per supplier.

        The on-time share (1 - mean p_late) counts the hypothetical orders of both supplier slots.
        """
        terms = view.terms
        n_total = len(view.on_hand)
        n = np.concatenate([np.arange(n_total), np.flatnonzero(terms.supplier[:, 1] >= 0)])
        slot = np.concatenate([np.zeros(n_total, dtype=np.int64), np.ones(len(n) - n_total, dtype=np.int64)])
        lead = terms.quoted_lead_time[n, slot]
        lines = self._lines(
            view,
            n,
            slot,
            np.full(len(n), view.day),
            view.day + lead,
            np.maximum(terms.moq[n, slot], 1),
            -1 - np.arange(len(n)),
        )
        started = time.perf_counter()
        pred = self.model.predict(lines)
        self.seconds += time.perf_counter() - started
        delay = np.maximum.accumulate(pred[["p10", "p50", "p90"]].to_numpy(float)[:n_total], axis=1)
        delay[:, 1:] += self._shift(terms.supplier[:, 0])[:, None]
        supplier = terms.supplier[n, slot]
        n_suppliers = int(terms.supplier.max()) + 1
        late = np.bincount(supplier, weights=pred["p_late"].to_numpy(float), minlength=n_suppliers)
        count = np.bincount(supplier, minlength=n_suppliers)
        reliability = np.where(count > 0, 1 - late / np.maximum(count, 1), 1.0)
        return delay, reliability
