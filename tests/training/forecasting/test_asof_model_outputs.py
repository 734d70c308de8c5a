"""As-of forecasts and delays are point in time: nothing on or after the origin (or the PO's order
date) reaches them, so changing the future leaves every earlier output unchanged."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from features.timeseries import ID, TIME, LagFeatureSpec
from training.forecasting.asof import asof_forecasts
from training.forecasting.model import DemandForecaster, DemandSpec
from training.forecasting.sampling import capped_series
from training.lead_time.asof import asof_delays
from training.lead_time.features import LeadTimeSpec
from training.splits import latest_refit, refit_schedule

START = pd.Timestamp("2024-01-01")
DEMAND = DemandSpec(
    features=LagFeatureSpec(lags=(0, 1, 6), seasonal_lags=(7,), windows=(7,), date_features=("dayofweek",),
                            scale_window=14),
    horizon=7,
    freq="D",
    params={"learning_rate": 0.2},
    num_boost_round=30,
)
LEAD = LeadTimeSpec(
    id_col="po_id", supplier_col="supplier_id", due_col="promised_date", received_col="received_date",
    order_col="order_date", numeric=("quantity", "is_expedited"),
)


def _daily_demand(n_series: int = 8, days: int = 100, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.tile(np.arange(days), n_series)
    level = np.repeat(rng.uniform(2, 20, n_series), days)
    y = rng.poisson(level * (1 + 0.4 * (t % 7 == 5)))
    return pd.DataFrame(
        {ID: np.repeat([f"s{i}" for i in range(n_series)], days), TIME: START + pd.to_timedelta(t, "D"),
         "y": y.astype("float64")}
    )


def _forecasts(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.Timestamp]]:
    last = frame[TIME].max()
    refits = refit_schedule(START + pd.Timedelta(days=41), last, 28)
    origins = [o for o in refit_schedule(refits[0], last, 7) if o < last]
    return asof_forecasts(frame, DEMAND, refits, origins, history_days=42, steps=7), refits


def test_one_forecast_per_day_made_after_its_refit_for_the_next_week():
    pred, refits = _forecasts(_daily_demand())
    assert not pred.duplicated([ID, TIME]).any()
    assert ((pred[TIME] > pred["origin"]) & (pred[TIME] <= pred["origin"] + pd.Timedelta(days=7))).all()
    assert (pred["refit"] <= pred["origin"]).all()
    latest = pd.DatetimeIndex(refits)[latest_refit(pred["origin"], refits)]
    assert (pred["refit"].to_numpy() == latest.to_numpy()).all()  # always the latest refit made by the origin
    assert (pred[["p10", "p50", "p90"]].diff(axis=1).iloc[:, 1:] >= 0).all().all()


def test_changing_demand_after_an_origin_leaves_its_and_earlier_forecasts_unchanged():
    frame = _daily_demand()
    base, _ = _forecasts(frame)
    cut = START + pd.Timedelta(days=62)  # an origin, before the second refit (day 69)
    later = frame.assign(y=np.where(frame[TIME] > cut, frame["y"] * 5 + 3, frame["y"]))
    changed, _ = _forecasts(later)
    known = base["origin"] <= cut
    assert known.sum() > 0 and (~known).sum() > 0
    pd.testing.assert_frame_equal(base[known], changed[known])
    assert not np.allclose(base.loc[~known, "p50"], changed.loc[~known, "p50"])


def test_origins_before_the_first_refit_are_skipped():
    frame = _daily_demand(days=70)
    refit = START + pd.Timedelta(days=55)
    pred = asof_forecasts(frame, DEMAND, [refit], [refit - pd.Timedelta(days=7), refit], 42, 7)
    assert (pred["origin"] == refit).all()
    with pytest.raises(ValueError, match="first refit"):
        asof_forecasts(frame, DEMAND, [refit], [refit - pd.Timedelta(days=1)], 42, 7)


def _po_lines(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ordered = START + pd.to_timedelta(np.sort(rng.integers(0, 400, n)), "D")
    supplier = rng.choice(["A", "B"], n)
    expedited = rng.random(n) < 0.15
    delay = np.where(supplier == "B", 6, 0) - 5 * expedited + rng.integers(-1, 3, n)
    promised = ordered + pd.Timedelta(days=10)
    return pd.DataFrame(
        {"po_id": [f"PO-{i}" for i in range(n)], "supplier_id": supplier, "order_date": ordered,
         "promised_date": promised, "received_date": promised + pd.to_timedelta(delay, "D"),
         "quantity": rng.integers(10, 100, n).astype("float64"), "is_expedited": expedited.astype("float64")}
    )


REFITS = [START + pd.Timedelta(days=d) for d in (150, 250, 350)]


def test_each_po_gets_the_latest_refit_made_by_its_order_date():
    lines = _po_lines()
    pred = asof_delays(lines, LEAD, REFITS, num_boost_round=100).merge(lines, on="po_id")
    assert len(pred) == (lines["order_date"] >= REFITS[0]).sum() and pred["po_id"].is_unique
    assert (pred["refit"] <= pred["order_date"]).all()
    nxt = pred["refit"].map(dict(zip(REFITS, [*REFITS[1:], pd.Timestamp.max], strict=True)))
    assert (pred["order_date"] < nxt).all()
    assert pred.loc[pred["supplier_id"] == "B", "p50"].mean() > pred.loc[pred["supplier_id"] == "A", "p50"].mean() + 3
    assert (pred["eta_p50"] == pred["promised_date"] + pd.to_timedelta(pred["p50"].round(), "D")).all()


def test_an_as_of_eta_ignores_pos_received_after_its_refit():
    lines = _po_lines()
    base = asof_delays(lines, LEAD, REFITS, num_boost_round=100)
    late = lines["received_date"] >= REFITS[1]  # deliveries after the second refit run 30 days late
    changed = asof_delays(
        lines.assign(received_date=lines["received_date"].where(~late, lines["received_date"] + pd.Timedelta(days=30))),
        LEAD, REFITS, num_boost_round=100,
    )
    before = base["refit"] <= REFITS[1]
    pd.testing.assert_frame_equal(base[before], changed[before])
    assert changed.loc[~before, "p50"].mean() > base.loc[~before, "p50"].mean() + 5


def test_what_is_decided_after_ordering_is_replaced_by_what_was_known_then():
    lines = _po_lines()
    placed = lines["order_date"] >= REFITS[-1]  # never in a fit: received after the last refit
    lines.loc[placed, "is_expedited"] = 0.0
    base = asof_delays(lines, LEAD, REFITS, num_boost_round=100)
    expedited_later = lines.assign(is_expedited=lines["is_expedited"].where(~placed, 1.0))
    leaky = asof_delays(expedited_later, LEAD, REFITS, num_boost_round=100)
    as_ordered = asof_delays(expedited_later, LEAD, REFITS, at_order={"is_expedited": 0.0}, num_boost_round=100)
    last = base["refit"] == REFITS[-1]
    assert leaky.loc[last, "p50"].mean() < base.loc[last, "p50"].mean() - 2
    pd.testing.assert_frame_equal(base[last], as_ordered[last])


def _uneven_demand() -> pd.DataFrame:
    """Series that start late, stop early or sell rarely, beside regular ones."""
    frame = _daily_demand(n_series=6, days=110, seed=3)
    days = (frame[TIME] - START).dt.days
    late, early, rare = frame[ID] == "s1", frame[ID] == "s2", frame[ID] == "s3"
    frame = frame.assign(y=np.where(rare & (days % 9 != 0), 0.0, frame["y"]))
    return frame[~(late & (days < 60)) & ~(early & (days > 80))].reset_index(drop=True)


def test_each_origin_forecasts_what_its_refit_anchored_on_the_trailing_window_predicts():
    frame = _uneven_demand()
    last = frame[TIME].max()
    refits = refit_schedule(START + pd.Timedelta(days=41), last, 28)
    origins = [o for o in refit_schedule(refits[0], last, 7) if o < last]
    models: dict[pd.Timestamp, object] = {}
    # a lag and a window longer than the 42-day history: the window cuts them at each origin
    features = replace(DEMAND.features, lags=(0, 1, 6, 45), windows=(7, 60))
    spec = replace(DEMAND, features=features)
    pred = asof_forecasts(frame, spec, refits, origins, history_days=42, steps=7, models=models)
    window = pd.Timedelta(days=42)
    for origin, k in zip(origins, latest_refit(np.array(origins, dtype="datetime64[ns]"), refits), strict=True):
        recent = frame[(frame[TIME] > origin - window) & (frame[TIME] <= origin)]
        recent = recent[recent[ID].isin(recent.loc[recent[TIME] == origin, ID])]
        expected = models[refits[k]].anchor(recent).predict(7)
        got = pred[pred["origin"] == origin][expected.columns].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected)
    assert set(pred[ID]) == set(frame[ID])


def test_forecasts_on_two_dask_workers_equal_the_single_process_ones():
    from tests.conftest import local_cluster

    frame = _uneven_demand()
    last = frame[TIME].max()
    refits = refit_schedule(START + pd.Timedelta(days=41), last, 28)
    origins = [o for o in refit_schedule(refits[0], last, 7) if o < last]
    here = asof_forecasts(frame, DEMAND, refits, origins, history_days=42, steps=7)
    sampled_here = asof_forecasts(frame, DEMAND, refits, origins, history_days=42, steps=7, max_series=3)
    with local_cluster(2) as client:
        there = asof_forecasts(frame, DEMAND, refits, origins, history_days=42, steps=7, client=client, partitions=4)
        sampled_there = asof_forecasts(
            frame, DEMAND, refits, origins, history_days=42, steps=7, client=client, partitions=4, max_series=3
        )
    pd.testing.assert_frame_equal(there, here)
    pd.testing.assert_frame_equal(sampled_there, sampled_here)


def test_refits_capped_at_max_series_train_on_a_fixed_sample_and_forecast_every_series():
    frame = _daily_demand(n_series=8)
    last = frame[TIME].max()
    refits = refit_schedule(START + pd.Timedelta(days=41), last, 28)
    origins = [o for o in refit_schedule(refits[0], last, 7) if o < last]
    models: dict[pd.Timestamp, DemandForecaster] = {}
    pred = asof_forecasts(frame, DEMAND, refits, origins, history_days=42, steps=7, models=models, max_series=3)
    sampled = set(capped_series(frame, 3)[ID])
    assert len(sampled) == 3
    window = pd.Timedelta(days=42)
    for fitted_at in refits[:-1]:
        trailing = frame[(frame[TIME] > fitted_at - window) & (frame[TIME] <= fitted_at)]
        assert set(capped_series(trailing, 3)[ID]) == sampled  # the same series at every refit
        expected = DemandForecaster(DEMAND).fit(trailing[trailing[ID].isin(sampled)])
        got = models[fitted_at].anchor(trailing).predict(7)
        pd.testing.assert_frame_equal(got, expected.anchor(trailing).predict(7))
    assert set(pred[ID]) == set(frame[ID])  # every series forecast, sampled or not
    uncapped = asof_forecasts(frame, DEMAND, refits, origins, history_days=42, steps=7)
    assert not np.allclose(pred["p50"], uncapped["p50"])
    assert capped_series(frame, 8) is frame  # a cap at or above the series count keeps them all
    with pytest.raises(ValueError, match="max_series"):
        capped_series(frame, 0)
