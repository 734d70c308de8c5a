"""As-of outputs of the demand and lead-time models over the world's history, for the features.

The risk models learn from forecast errors and model-based expected inbound only if those inputs
are what the models would have said at the time (``training.forecasting.asof``,
``training.lead_time.asof``). Pure: canonical tables in, two frames out, in the formats
``features`` reads:

- demand forecasts ``sku_id, location_id, ds, forecast`` (the P50), with ``origin, refit`` and the
  quantile columns: one forecast per SKU-location-day, made at the latest weekly origin before it;
- PO ETAs ``po_id, sku_id, location_id, eta_p50, eta_p90, p_late``, with the delay quantiles and
  ``refit``: predicted when the PO was placed.

Both use the recipes of the registered models (``demand_spec`` of ``training.recipes.DEMAND`` on
its trailing window, ``LEAD_TIME_SPEC``), refitted on the schedule of an ``AsOfJob``. The demand
replay fits the median only by default: the bounds feed no feature, and each quantile is a
booster per refit.

Each output extends an earlier one (``previous``) when the inputs it was made from are unchanged up
to its last day: only new origins and new PO lines are computed, with the models of earlier refits
reused, and the result is the one a run from nothing would give. A run from nothing is the same
path with nothing before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from contracts.fingerprint import frame_fingerprint, hashes_fingerprint, row_hashes
from contracts.keys import series_id
from features.promotions import announced_by, promotion_days, with_promotion_days
from features.timeseries import ID, TIME
from training.forecasting.asof import asof_forecasts
from training.forecasting.model import quantile_column
from training.lead_time.asof import asof_delays
from training.readiness import model_readiness
from training.recipes import LEAD_TIME, LEAD_TIME_RECIPES, LEAD_TIME_SPEC, AsOfJob, demand_spec
from training.splits import refit_schedule
from training.world_datasets import daily_demand, received_po_lines
from training.world_models import lead_time_recipe

if TYPE_CHECKING:
    from distributed import Client

FULL, INCREMENTAL = "full", "incremental"
# What a PO line's as-of prediction reads when it is placed (``is_expedited`` is decided later).
PO_AT_ORDER = ("po_id", "supplier_id", "sku_id", "location_id", "category", "quantity", "order_date", "promised_date")


@dataclass(frozen=True)
class AsOfOutput:
    """An as-of output over the history and what a later run needs to extend it.

    ``last`` is the last day of the inputs it covers and ``digest`` their fingerprint up to that
    day; ``models`` the fitted model of the latest refit used, by refit date (later origins and
    lines start from it). ``mode`` says whether this run extended ``previous`` (``incremental``) or
    computed everything (``full``), ``added`` what it computed. ``recipe`` names the lead-time
    recipe of the ETAs' refits (empty for the demand forecasts): ETAs of another recipe are not
    extended.
    """

    rows: pd.DataFrame
    last: pd.Timestamp
    digest: str
    models: dict[pd.Timestamp, object] = field(default_factory=dict)
    mode: str = FULL
    added: dict[str, int] = field(default_factory=dict)
    recipe: str = ""

    @property
    def unchanged(self) -> bool:
        """Whether this run extended ``previous`` by nothing: its rows and models are those given."""
        return self.mode == INCREMENTAL and not any(self.added.values())


def _extends(previous: AsOfOutput | None, digest_at: Callable[[pd.Timestamp], str]) -> bool:
    """Whether ``previous`` still holds: the inputs up to its last day are those it was made from."""
    return previous is not None and digest_at(previous.last) == previous.digest


def _latest_model(models: dict[pd.Timestamp, object]) -> dict[pd.Timestamp, object]:
    return {max(models): models[max(models)]} if models else {}


def known_promotions(promotions: pd.DataFrame) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Promotion covariates of target days (rows ``unique_id, ds, origin``) as known at each row's
    origin: announced on or before it.

    The promotions are expanded into days once, by series, and each call reads only the days of
    the series between its first and last: a block of series costs its own promotions."""
    days = promotion_days(promotions).sort_values(ID, ignore_index=True)
    ids = days[ID].to_numpy()

    def known(targets: pd.DataFrame) -> pd.DataFrame:
        if targets.empty:
            return with_promotion_days(targets, days, known_at="origin")
        series = targets[ID]
        first, last = np.searchsorted(ids, series.min(), "left"), np.searchsorted(ids, series.max(), "right")
        return with_promotion_days(targets, days.iloc[first:last], known_at="origin")

    return known


def demand_digests(frame: pd.DataFrame, promotions: pd.DataFrame) -> Callable[[pd.Timestamp], str]:
    """Fingerprint, per day, of what as-of forecasts made up to that day read: the daily demand
    frame up to the day and the promotions announced by then (the frame's rows hashed once)."""
    hashes, times = row_hashes(frame), frame[TIME].to_numpy()

    def at(day: pd.Timestamp) -> str:
        known = announced_by(promotions, day)
        known = known.sort_values(list(known.columns), ignore_index=True)
        return hashes_fingerprint(hashes[times <= day.to_datetime64()], frame.columns) + frame_fingerprint(known)

    return at


def asof_demand_forecasts(
    tables: dict[str, pd.DataFrame],
    job: AsOfJob,
    previous: AsOfOutput | None = None,
    client: Client | None = None,
    partitions: int = 1,
) -> AsOfOutput:
    """Weekly-origin forecasts over the history, each from a refit on data up to its origin.

    With a ``previous`` output whose inputs are unchanged up to its last day, only the origins it
    lacks are forecast (the refit schedule is anchored at the first day, so earlier origins and
    refits stay where they were); otherwise all of them. With a Dask ``client`` the refits are
    fitted here and the forecasts made on its workers, in ``partitions`` blocks of whole series
    (``training.forecasting.asof``): the same rows.
    """
    frame = daily_demand(
        tables["order_lines"],
        tables["orders"],
        tables["promotions"],
        tables["inventory_snapshots"],
        tables["skus"],
    )
    first, last = frame[TIME].min(), frame[TIME].max()
    refits = refit_schedule(first + pd.Timedelta(days=job.demand_min_history_days - 1), last, job.demand_refit_days)
    origins = [o for o in refit_schedule(refits[0], last, job.forecast_every_days) if o < last] if refits else []
    if not origins:
        raise ValueError(
            f"demand history of {(last - first).days + 1} days: need more than "
            f"{job.demand_min_history_days} days for an as-of forecast"
        )
    promotions = tables["promotions"]
    digest_at = demand_digests(frame, promotions)
    extend = _extends(previous, digest_at)
    done = set(previous.rows["origin"].unique()) if extend else set()
    models = dict(previous.models) if extend else {}
    reused = len(models)
    todo = [o for o in origins if o not in done]
    spec = replace(demand_spec(job.demand), quantiles=job.forecast_quantiles)
    pred = asof_forecasts(
        frame,
        spec,
        refits,
        todo,
        job.demand.history_days,
        job.forecast_every_days,
        known_promotions(promotions),
        models,
        client,
        partitions,
        job.demand.max_series,
    )
    quantiles = [quantile_column(q) for q in job.forecast_quantiles]
    columns = ["sku_id", "location_id", TIME, "forecast", *quantiles, "origin", "refit"]
    pieces = [previous.rows] if extend else []
    if len(pred):
        keys = tables["inventory_snapshots"][["sku_id", "location_id"]].drop_duplicates()
        keys = keys.assign(**{ID: series_id(keys)})
        out = pred.merge(keys, on=ID, how="left").drop(columns=[ID])
        out["forecast"] = out["p50"]
        pieces.append(out[columns])
    if extend and not len(pred):  # nothing new: the earlier rows, already in order
        rows = previous.rows
    else:
        rows = pd.concat(pieces, ignore_index=True).sort_values(["sku_id", "location_id", TIME], ignore_index=True)
    return AsOfOutput(
        rows=rows,
        last=last,
        digest=digest_at(last),
        models=_latest_model(models),
        mode=INCREMENTAL if extend else FULL,
        added={"origins": len(todo), "refits": len(models) - reused},
    )


def lead_time_digest(lines: pd.DataFrame, day: pd.Timestamp) -> str:
    """Fingerprint of what as-of ETAs of lines placed up to ``day`` read: those lines as placed,
    and every line received before that day (the refits' history) as received."""
    spec = LEAD_TIME_SPEC
    placed = lines[pd.to_datetime(lines[spec.order_col]) <= day]
    received = lines[pd.to_datetime(lines[spec.received_col]) < day]
    model_columns = list(dict.fromkeys([*PO_AT_ORDER, spec.received_col, *spec.numeric]))
    return frame_fingerprint(placed[list(PO_AT_ORDER)].sort_values("po_id", ignore_index=True)) + frame_fingerprint(
        received[model_columns].sort_values("po_id", ignore_index=True)
    )


def asof_lead_time_recipe(tables: dict[str, pd.DataFrame], lines: pd.DataFrame) -> str:
    """The recipe the lead-time model registered from these tables uses (``lead_time_recipe``), so
    the ETA features the classifiers learn from come from the model that serves them; the first
    recipe when the tables are below the lead-time model's data minimum."""
    if not model_readiness("lead_time", tables).can_train:
        return next(iter(LEAD_TIME_RECIPES))
    return lead_time_recipe(LEAD_TIME, lines).name


def asof_po_etas(tables: dict[str, pd.DataFrame], job: AsOfJob, previous: AsOfOutput | None = None) -> AsOfOutput:
    """Per PO line, the lead-time model's ETA quantiles and ``p_late`` as of its order date.

    Lines are predicted as placed: not expedited (an expedite is decided later), so a receipt or an
    expedite recorded later leaves a line's ETA as it was. Lines ordered before the first refit
    (``lead_time_min_history_days`` after the first order) are absent. With a ``previous`` output
    whose inputs are unchanged up to its last day, only the lines it lacks are predicted.

    Every refit follows the recipe of ``asof_lead_time_recipe``, chosen when a refit is due: an
    extension without a new refit keeps its recipe (so a day's run does not fit the choice's
    models again), and a new choice other than the previous one recomputes every line.
    """
    spec = LEAD_TIME_SPEC
    lines = received_po_lines(tables["purchase_orders"], tables["skus"])
    ordered = pd.to_datetime(lines[spec.order_col])
    first, last = ordered.min() + pd.Timedelta(days=job.lead_time_min_history_days), ordered.max()
    refits = refit_schedule(first, last, job.lead_time_refit_days)
    if not refits:
        raise ValueError(
            f"purchase orders span {(last - ordered.min()).days + 1} days: need more than "
            f"{job.lead_time_min_history_days} days for an as-of ETA"
        )
    extendable = _extends(previous, lambda day: lead_time_digest(lines, day)) and bool(previous.recipe)
    refit_due = not extendable or max(refits) not in previous.models
    recipe = asof_lead_time_recipe(tables, lines) if refit_due else previous.recipe
    extend = extendable and previous.recipe == recipe
    models = dict(previous.models) if extend else {}
    reused = len(models)
    pred = asof_delays(
        lines,
        spec,
        refits,
        at_order={"is_expedited": 0.0},
        models=models,
        predicted=previous.rows["po_id"] if extend else (),
        model_options=LEAD_TIME_RECIPES[recipe],
    )
    columns = ["po_id", "sku_id", "location_id", "eta_p10", "eta_p50", "eta_p90", "p10", "p50", "p90", "p_late"]
    pieces = [previous.rows] if extend else []
    if len(pred):
        out = lines[["po_id", "sku_id", "location_id"]].merge(pred, on="po_id", how="inner")
        pieces.append(out[[*columns, "refit"]])
    rows = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
    return AsOfOutput(
        rows=rows.sort_values("po_id", ignore_index=True),
        last=last,
        digest=lead_time_digest(lines, last),
        models=_latest_model(models),
        mode=INCREMENTAL if extend else FULL,
        added={"po_lines": len(pred), "refits": len(models) - reused},
        recipe=recipe,
    )
