"""Point-in-time supplier delays, seed averaging and shrinkage toward supplier quantiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.lead_time.baselines import shrink_toward_suppliers
from training.lead_time.features import LeadTimeSpec
from training.lead_time.model import LeadTimeModel
from training.lead_time.supplier_history import recent_supplier_delays, supplier_history

SPEC = LeadTimeSpec(id_col="id", supplier_col="vendor", due_col="due", received_col="received")
SPEC_SCMS = LeadTimeSpec(
    id_col="id", supplier_col="vendor", due_col="scheduled_delivery_date",
    received_col="delivered_to_client_date", categorical=("shipment_mode",),
)
DAY0 = pd.Timestamp("2020-01-01")


def _days(values: list[int]) -> pd.Series:
    return DAY0 + pd.to_timedelta(values, "D")


def test_a_line_sees_only_its_suppliers_delays_known_before_its_due_date_or_the_cutoff() -> None:
    history = supplier_history(
        pd.DataFrame(
            {
                "id": range(6),
                "vendor": ["A", "A", "A", "A", "B", "A"],
                "due": _days([0, 10, 20, 30, 5, 30]),
                "received": _days([2, 9, 25, 40, 5, 28]),  # delays 2, -1, 5, 10, 0, -2
            }
        ),
        SPEC,
    )
    lines = pd.DataFrame(
        {"id": [10, 11, 12, 13], "vendor": ["A", "A", "A", "C"], "due": _days([30, 25, 200, 30])}
    )
    cutoff = DAY0 + pd.Timedelta(days=100)
    stats = recent_supplier_delays(history, lines, SPEC, cutoff, window=2, gap_days=0)
    # Due on day 30: lines due with it (one delivered early, on day 28) are left out; the last two
    # known before are delays -1 (known day 10) and 5 (due 20, received 25).
    assert stats.loc[0, "recent_p50"] == pytest.approx(2.0)
    # Due on day 25: the line received that day is not known before it.
    assert stats.loc[1, ["recent_p50", "recent_late_share"]].tolist() == pytest.approx([0.5, 0.5])
    # Due after the cut-off (day 100): the last two known by the cut-off, delays -2 and 10.
    assert stats.loc[2, "recent_p50"] == pytest.approx(4.0)
    # A supplier without history has no statistics.
    assert stats.loc[3].isna().all()
    gapped = recent_supplier_delays(history, lines, SPEC, cutoff, window=2, gap_days=15)
    assert gapped.loc[0, "recent_p50"] == pytest.approx(0.5)  # known before day 15: delays 2, -1


def test_supplier_features_fit_and_score_open_lines(make_scms) -> None:
    lines = make_scms(900, seed=5)
    cutoff = pd.Timestamp("2012-06-01")
    model = LeadTimeModel(SPEC_SCMS, recent_supplier_lines=30, num_boost_round=60).fit(lines, cutoff)
    assert {"f_recent_p10", "f_recent_p50", "f_recent_p90", "f_recent_late_share"} <= set(model.fit_info_["features"])
    later = lines[lines["scheduled_delivery_date"] > cutoff].head(50)
    pred = model.predict(later.drop(columns="delivered_to_client_date"))
    assert np.isfinite(pred[["p10", "p50", "p90"]].to_numpy()).all()
    assert (pred["p10"] <= pred["p50"]).all() and (pred["p50"] <= pred["p90"]).all()


def test_several_seeds_predict_the_mean_of_the_single_seed_models(make_scms) -> None:
    lines = make_scms(900, seed=6)
    cutoff = pd.Timestamp("2012-06-01")
    later = lines[lines["scheduled_delivery_date"] > cutoff + pd.Timedelta(days=60)].head(50)
    later = later.drop(columns="delivered_to_client_date")

    def p50(seeds: tuple[int, ...]) -> np.ndarray:
        model = LeadTimeModel(SPEC_SCMS, quantiles=(0.5,), conformal=False, seeds=seeds, num_boost_round=60)
        return model.fit(lines, cutoff).predict(later)["p50"].to_numpy()

    one, two, both = p50((1,)), p50((2,)), p50((1, 2))
    assert not np.allclose(one, two)  # the seeds do give different boosters
    assert both == pytest.approx((one + two) / 2)


def test_shrinkage_weighs_the_supplier_quantiles_by_its_record() -> None:
    model = pd.DataFrame({"id": [1, 2, 3], "p10": [0.0] * 3, "p50": [10.0] * 3, "p90": [20.0] * 3})
    suppliers = model.assign(p10=-10.0, p50=0.0, p90=40.0)
    out = shrink_toward_suppliers(model, suppliers, np.array([0.0, 100.0, 1e9]), prior_lines=100.0)
    assert out["p50"].tolist() == pytest.approx([10.0, 5.0, 0.0], abs=1e-5)  # unseen, halfway, its own history
    assert out["p90"].tolist() == pytest.approx([20.0, 30.0, 40.0], abs=1e-5)
    assert out["id"].tolist() == [1, 2, 3]


def test_a_model_fitted_before_seed_averaging_and_supplier_history_still_predicts(make_scms) -> None:
    lines = make_scms(600, seed=7)
    cutoff = pd.Timestamp("2012-06-01")
    model = LeadTimeModel(SPEC_SCMS, num_boost_round=40).fit(lines, cutoff)
    later = lines[lines["scheduled_delivery_date"] > cutoff].head(20).drop(columns="delivered_to_client_date")
    expected = model.predict(later)
    model.boosters_ = {q: boosters[0] for q, boosters in model.boosters_.items()}
    del model.supplier_history_
    assert model.predict(later)[["p10", "p50", "p90"]].equals(expected[["p10", "p50", "p90"]])


def _shifting_supplier(cutoff: pd.Timestamp) -> pd.DataFrame:
    """One supplier on time for three years, then 20 days late for the last one (every month of
    the year is on time three times and late once)."""
    due = pd.date_range(cutoff - pd.Timedelta(days=1460), cutoff - pd.Timedelta(days=1), periods=1200)
    late = due > cutoff - pd.Timedelta(days=365)
    delay = np.where(late, 20, 0) + np.random.default_rng(0).integers(-2, 3, len(due))
    return pd.DataFrame({"id": range(len(due)), "vendor": "A", "due": due,
                         "received": due + pd.to_timedelta(delay, "D")})


def test_a_short_half_life_follows_a_supplier_that_started_running_late() -> None:
    cutoff = pd.Timestamp("2022-01-01")
    lines = _shifting_supplier(cutoff)
    later = pd.DataFrame({"id": [1000], "vendor": ["A"], "due": [cutoff + pd.Timedelta(days=30)]})

    def p50(half_life_days: float | None) -> float:
        model = LeadTimeModel(SPEC, quantiles=(0.5,), conformal=False, half_life_days=half_life_days,
                              params={"min_data_in_leaf": 5}, num_boost_round=100)
        return float(model.fit(lines, cutoff).predict(later)["p50"].iloc[0])

    assert p50(None) < 5  # three on-time years outweigh the late one
    assert p50(90.0) > 15


def test_settled_days_leave_the_recent_deliveries_out_of_the_fit() -> None:
    cutoff = pd.Timestamp("2022-01-01")
    lines = _shifting_supplier(cutoff)
    model = LeadTimeModel(SPEC, quantiles=(0.5,), conformal=False, settled_days=90.0, num_boost_round=20)
    settled = lines["due"] <= cutoff - pd.Timedelta(days=90)
    assert model.fit(lines, cutoff).fit_info_["rows"] == int(settled.sum())
