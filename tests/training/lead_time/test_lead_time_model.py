"""Lead-time model and baselines on generated shipments in the SCMS format."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training import forecast_metrics as fm
from training.lead_time.baselines import quoted_baseline, supplier_quantile_baseline
from training.lead_time.evaluate import open_at_cutoff_split, scheduled_after_split
from training.lead_time.features import LeadTimeSpec
from training.lead_time.model import LeadTimeModel
from training.risk.metrics import roc_auc

SPEC = LeadTimeSpec(
    id_col="id",
    supplier_col="vendor",
    due_col="scheduled_delivery_date",
    received_col="delivered_to_client_date",
    order_col="po_sent_to_vendor_date",
    categorical=("shipment_mode", "country"),
    numeric=("line_item_quantity", "weight_kg_num"),
)


def test_vendor_quantiles_by_hand_and_unseen_vendor_fallback() -> None:
    due = pd.Timestamp("2020-01-01")
    history = pd.DataFrame(
        {
            "id": range(5),
            "vendor": ["A", "A", "A", "B", "B"],
            "scheduled_delivery_date": due,
            "delivered_to_client_date": due + pd.to_timedelta([0, 10, 20, -4, 0], "D"),
        }
    )
    lines = pd.DataFrame({"id": [10, 11], "vendor": ["A", "Z"]})
    out = supplier_quantile_baseline(history, lines, SPEC, quantiles=(0.5,))
    assert out["p50"].tolist() == [10.0, 0.0]  # A: median 10 ; Z unseen: median of all = 0
    assert out["p_late"].tolist() == pytest.approx([2 / 3, 2 / 5])
    quoted = quoted_baseline(lines, SPEC, late_share=0.1)
    assert quoted[["p10", "p50", "p90"]].eq(0).all().all() and quoted["p_late"].eq(0.1).all()


def test_model_learns_late_vendor_and_route_and_beats_vendor_baseline(make_scms) -> None:
    lines = make_scms(1500, seed=0)
    train, test = open_at_cutoff_split(lines, SPEC, pd.Timestamp("2013-06-01"))
    cutoff = train["delivered_to_client_date"].max()
    pred = (
        LeadTimeModel(SPEC)
        .fit(train, cutoff)
        .predict(test.drop(columns="delivered_to_client_date"))
    )
    assert len(pred) == len(test) and pred["id"].tolist() == test["id"].tolist()
    assert (pred["p10"] <= pred["p50"]).all() and (pred["p50"] <= pred["p90"]).all()
    truth = test["delay_days"].to_numpy(dtype=float)
    model_loss = fm.mean_pinball_loss(truth, pred[["p10", "p50", "p90"]], quantiles=[0.1, 0.5, 0.9])
    base = supplier_quantile_baseline(train, test, SPEC)
    base_loss = fm.mean_pinball_loss(truth, base[["p10", "p50", "p90"]], quantiles=[0.1, 0.5, 0.9])
    assert model_loss < 0.9 * base_loss  # the route (ocean) is invisible to the vendor baseline
    assert 0.65 <= fm.interval_coverage(truth, pred[["p10", "p90"]]) <= 0.95
    assert roc_auc((truth > 0).astype(float), pred["p_late"]) > 0.75
    assert (
        pred["eta_p50"] >= test["scheduled_delivery_date"].to_numpy() - pd.Timedelta(days=30)
    ).all()


def test_overdue_open_lines_are_late_for_sure_and_arrive_after_cutoff(make_scms) -> None:
    lines = make_scms(800, seed=1)
    cutoff = pd.Timestamp("2012-06-01")
    train = lines[lines["delivered_to_client_date"] <= cutoff]
    model = LeadTimeModel(SPEC).fit(train, cutoff)
    overdue = lines.head(3).assign(scheduled_delivery_date=cutoff - pd.Timedelta(days=20))
    pred = model.predict(overdue.drop(columns="delivered_to_client_date"))
    assert (pred["p10"] >= 21).all() and (pred["p_late"] == 1.0).all() and pred["late_flag"].all()


def test_missing_columns_and_odd_values(make_scms) -> None:
    lines = make_scms(800, seed=2)
    model = LeadTimeModel(SPEC).fit(lines)
    odd = lines.head(4).copy()
    odd["vendor"] = ["never seen", None, "Vendor A", "Vendor B"]
    odd["scheduled_delivery_date"] = odd["scheduled_delivery_date"].astype(object)
    odd.loc[odd.index[0], "scheduled_delivery_date"] = "not a date"
    odd["line_item_quantity"] = odd["line_item_quantity"].astype(str)
    pred = model.predict(odd)
    assert len(pred) == 4 and np.isfinite(pred[["p10", "p50", "p90", "p_late"]].to_numpy()).all()
    with pytest.raises(ValueError, match="shipment_mode"):
        model.predict(odd.drop(columns="shipment_mode"))


def test_typical_supplier_offsets_keep_one_disruption_out_of_every_suppliers_p90() -> None:
    """Two of eight suppliers run 25 days late through the calibration weeks. Pooled, their lines
    widen every supplier's P90; the typical supplier's offsets (what the policy uses beside its
    supplier tracking signal) leave a supplier that was never disrupted near its own delays."""
    rng = np.random.default_rng(0)
    n_days, n_suppliers = 400, 8
    order = np.repeat(np.arange(n_days), n_suppliers)
    supplier = np.tile(np.arange(n_suppliers), n_days)
    due = order + 20
    delay = rng.poisson(1.0, len(order)).astype(float)
    delay[(supplier < 2) & (due >= 340) & (due < 380)] += 25
    epoch = pd.Timestamp("2024-01-01")
    lines = pd.DataFrame(
        {
            "id": np.arange(len(order)),
            "vendor": supplier.astype(str),
            "ordered": epoch + pd.to_timedelta(order, "D"),
            "due": epoch + pd.to_timedelta(due, "D"),
            "received": epoch + pd.to_timedelta(due + delay, "D"),
        }
    )
    spec = LeadTimeSpec(id_col="id", supplier_col="vendor", due_col="due", received_col="received", order_col="ordered")
    cutoff = epoch + pd.Timedelta(days=n_days)
    history = lines[lines["received"] < cutoff]
    new = pd.DataFrame({"id": [0], "vendor": ["3"], "ordered": [cutoff], "due": [cutoff + pd.Timedelta(days=20)]})
    pooled = LeadTimeModel(spec, num_boost_round=50).fit(history, cutoff).predict(new)
    typical = LeadTimeModel(spec, num_boost_round=50, typical_supplier_offsets=True).fit(history, cutoff).predict(new)
    assert pooled["p90"].iloc[0] > 10
    assert typical["p90"].iloc[0] <= 4  # Poisson(1) delays: a P90 of 2-3 days


def test_scheduled_after_split_trains_on_delivered_and_scores_later_scheduled_lines(make_scms) -> None:
    lines = make_scms(600, seed=3)
    cutoff = pd.Timestamp("2012-01-01")
    train, test = scheduled_after_split(lines, SPEC, cutoff)
    assert (train["delivered_to_client_date"] <= cutoff).all()
    assert (test["scheduled_delivery_date"] > cutoff).all()
    assert (test["delivered_to_client_date"] > cutoff).all()
    assert not set(train["id"]) & set(test["id"])


def test_without_conformal_offsets_the_quantiles_are_the_boosters_own(make_scms) -> None:
    lines = make_scms(1200, seed=4)
    cutoff = lines["delivered_to_client_date"].max()
    plain = LeadTimeModel(SPEC, conformal=False).fit(lines, cutoff)
    shifted = LeadTimeModel(SPEC).fit(lines, cutoff)
    assert (plain.offsets_ == 0).all().all()
    assert not (shifted.offsets_ == 0).all().all()
    later = lines.tail(40).drop(columns="delivered_to_client_date")
    later = later.assign(scheduled_delivery_date=cutoff + pd.Timedelta(days=30))
    pred = plain.predict(later)
    assert (pred["p10"] <= pred["p50"]).all() and (pred["p50"] <= pred["p90"]).all()
    assert not np.allclose(pred["p90"], shifted.predict(later)["p90"])
