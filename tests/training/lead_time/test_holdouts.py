"""The lead-time model scored at several cut-offs: which cut-offs, and what training logs from them."""

from __future__ import annotations

import pandas as pd
import pytest

from simulation import SimulationConfig
from simulation.run import simulate
from training.lead_time.baselines import supplier_quantile_baseline
from training.lead_time.evaluate import score_delays
from training.lead_time.holdouts import (
    MODEL,
    QUOTED_DATE,
    SERVED_SUPPLIER_QUANTILES,
    backtest_cutoffs,
    backtest_metrics,
    choose_recipe,
    lead_time_holdout,
)
from training.promotion import baseline_comparisons
from training.recipes import LEAD_TIME_RECIPES, LEAD_TIME_SPEC, LeadTimeJob
from training.world_datasets import received_po_lines
from training.world_models import train_lead_time


def _lines(first_order: str, last_receipt: str) -> pd.DataFrame:
    """Weekly PO lines, each received 20 days after its order, from ``first_order`` on."""
    ordered = pd.date_range(first_order, pd.Timestamp(last_receipt) - pd.Timedelta(days=20), freq="7D")
    received = ordered + pd.Timedelta(days=20)
    return pd.DataFrame({
        "po_id": range(len(ordered)), "supplier_id": "S1", "order_date": ordered,
        "promised_date": received, "received_date": received,
    })


def test_cutoffs_step_back_from_the_latest_and_need_history_before_them():
    lines = _lines("2024-01-01", "2024-12-30")
    end = pd.Timestamp(lines["received_date"].max())
    cutoffs = backtest_cutoffs(lines, LEAD_TIME_SPEC, test_days=90, count=4, step_days=30, min_history_days=30)
    assert cutoffs == [end - pd.Timedelta(days=d) for d in (180, 150, 120, 90)]  # earliest first

    # Orders from 200 days before the end: the cut-off 180 days back has under 30 days before it.
    short = lines[lines["order_date"] >= end - pd.Timedelta(days=200)]
    kept = backtest_cutoffs(short, LEAD_TIME_SPEC, test_days=90, count=4, step_days=30, min_history_days=30)
    assert kept == [end - pd.Timedelta(days=d) for d in (150, 120, 90)]
    # The latest cut-off is kept whatever comes before it (the data minimum guarantees its history).
    latest_only = backtest_cutoffs(short, LEAD_TIME_SPEC, test_days=90, count=4, step_days=30, min_history_days=400)
    assert latest_only == [end - pd.Timedelta(days=90)]


def test_no_received_line_is_refused_by_name():
    lines = _lines("2024-01-01", "2024-06-30").assign(received_date=pd.NaT)
    with pytest.raises(ValueError, match="no received line"):
        backtest_cutoffs(lines, LEAD_TIME_SPEC, test_days=90, count=4, step_days=30, min_history_days=30)


def test_metrics_are_means_over_cutoffs_named_for_the_gate():
    scores = pd.DataFrame({
        "cutoff": ["2025-01-01"] * 2 + ["2025-02-01"] * 2,
        "model": ["lightgbm", "baseline_quoted"] * 2,
        "n": [100.0, 100.0, 80.0, 80.0],
        "pinball": [0.5, 0.9, 0.7, 1.1],
        "coverage_80": [0.8, 0.6, 0.9, 0.6],
    })
    metrics = backtest_metrics(scores)
    assert metrics["pinball"] == pytest.approx(0.6) and metrics["coverage_80"] == pytest.approx(0.85)
    assert metrics["baseline_quoted.pinball"] == pytest.approx(1.0)
    assert metrics["pinball_sd"] == pytest.approx(0.1414, abs=1e-4)
    assert metrics["baseline_quoted.pinball_sd"] == pytest.approx(0.1414, abs=1e-4)
    assert "n" not in metrics and "cutoff" not in metrics
    one = backtest_metrics(scores[scores["cutoff"] == "2025-01-01"])
    assert one["pinball"] == pytest.approx(0.5) and one["pinball_sd"] == 0.0


@pytest.fixture(scope="module")
def world_lines() -> pd.DataFrame:
    tables = simulate(SimulationConfig(seed=3, n_skus=30, n_locations=2, n_days=400)).tables
    return received_po_lines(tables["purchase_orders"], tables["skus"])


def test_the_supplier_baseline_is_what_serves_without_a_champion(world_lines):
    cutoffs = backtest_cutoffs(world_lines, LEAD_TIME_SPEC, 90, 4, 30, 30)
    received, promised = world_lines["received_date"], world_lines["promised_date"]
    cutoff = next(c for c in reversed(cutoffs) if ((received > c) & (promised < c)).any())  # one with overdue lines
    holdout = lead_time_holdout(world_lines, LEAD_TIME_SPEC, cutoff)
    served = holdout.predictions[SERVED_SUPPLIER_QUANTILES]
    known = world_lines[world_lines["received_date"] <= cutoff]
    plain = supplier_quantile_baseline(known, holdout.hidden, LEAD_TIME_SPEC)
    overdue_days = ((cutoff - holdout.hidden["promised_date"]).dt.days + 1).to_numpy()
    overdue = overdue_days >= 1
    assert overdue.any() and (~overdue).any()
    # A line still open past its promised date is late by at least the days since then, for sure.
    assert (served.loc[overdue, "p10"].to_numpy() >= overdue_days[overdue]).all()
    assert (served.loc[overdue, "p_late"] == 1.0).all()
    # A line not yet due gets its supplier's delay quantiles and late share as they are.
    columns = ["p10", "p50", "p90", "p_late"]
    pd.testing.assert_frame_equal(served.loc[~overdue, columns], plain.loc[~overdue, columns], check_names=False)
    # So a model has to beat a baseline at least as close as the plain per-supplier quantiles.
    scores = holdout.scores.set_index("model")
    assert scores.loc[SERVED_SUPPLIER_QUANTILES, "pinball"] < score_delays(holdout.truth, plain)["pinball"]


def test_the_gate_refuses_a_model_behind_the_served_supplier_quantiles():
    scores = pd.DataFrame({
        "cutoff": ["2025-01-01"] * 3 + ["2025-02-01"] * 3,
        "model": [MODEL, SERVED_SUPPLIER_QUANTILES, QUOTED_DATE] * 2,
        "n": [50.0] * 6,
        "pinball": [0.70, 0.68, 0.95, 0.72, 0.71, 1.05],
    })
    comparisons = baseline_comparisons(backtest_metrics(scores), "pinball", higher_is_better=False)
    beaten = {c.baseline: c.beaten for c in comparisons}
    assert beaten == {"supplier_quantiles": False, "quoted": True}


def test_a_recipe_replaces_the_first_only_beyond_the_spread(world_lines):
    job = LeadTimeJob()
    cutoffs = backtest_cutoffs(world_lines, LEAD_TIME_SPEC, job.test_days, 4, 30, 30)
    barely_fitted = {"params": {"learning_rate": 0.001}, "num_boost_round": 5}  # behind at every cut-off
    better = choose_recipe(world_lines, LEAD_TIME_SPEC, cutoffs, {"barely_fitted": barely_fitted, "full": {}})
    assert better.name == "full" and [h.cutoff for h in better.holdouts] == cutoffs
    table = better.comparison.pivot(index="cutoff", columns="recipe", values="gain_over_first")
    assert (table["full"] > 0).all() and (table["barely_fitted"] == 0).all()
    assert better.comparison.loc[better.comparison["chosen"], "recipe"].unique().tolist() == ["full"]

    kept = choose_recipe(world_lines, LEAD_TIME_SPEC, cutoffs, {"full": {}, "barely_fitted": barely_fitted})
    assert kept.name == "full"  # the first stays unless beaten
    same = choose_recipe(world_lines, LEAD_TIME_SPEC, cutoffs, {"full": {}, "full_again": {}})
    assert same.name == "full"  # level: no gain beyond the spread
    # Two cut-offs are too few to measure a spread: the first recipe stays, however far behind.
    few = choose_recipe(world_lines, LEAD_TIME_SPEC, cutoffs[-2:], {"barely_fitted": barely_fitted, "full": {}})
    assert few.name == "barely_fitted"


def test_training_logs_the_mean_over_every_cutoff_and_the_latest_as_reference(world_lines):
    job = LeadTimeJob()
    trained = train_lead_time(job, world_lines)
    record = trained.record
    scores = record.tables["scores"]
    assert record.params["scored_cutoffs"] == sorted(scores["cutoff"].unique().tolist())
    assert len(record.params["scored_cutoffs"]) == job.cutoffs
    first = record.params["scored_cutoffs"][0]
    assert record.holdout_period.startswith(f"lines open at {job.cutoffs} cut-offs {first}")
    for model, prefix in (("lightgbm", ""), ("baseline_supplier_quantiles", "baseline_supplier_quantiles."),
                          ("baseline_quoted", "baseline_quoted.")):
        at_cutoffs = scores.loc[scores["model"] == model, "pinball"]
        assert at_cutoffs.nunique() > 1  # each cut-off scores other lines
        assert record.metrics[f"{prefix}pinball"] == pytest.approx(at_cutoffs.mean())
    recipes = record.tables["recipes"]
    assert set(recipes["recipe"]) == set(LEAD_TIME_RECIPES) and len(recipes) == len(LEAD_TIME_RECIPES) * job.cutoffs
    assert recipes.loc[recipes["chosen"], "recipe"].unique().tolist() == [record.params["recipe"]]
    chosen = recipes[recipes["chosen"]].set_index("cutoff")["pinball"]
    assert chosen.to_dict() == scores[scores["model"] == "lightgbm"].set_index("cutoff")["pinball"].to_dict()
    latest = scores[(scores["cutoff"] == scores["cutoff"].max()) & (scores["model"] == "lightgbm")]
    assert len(record.reference) == int(latest["n"].iloc[0])  # the lines open at the latest cut-off
    served = trained.estimator.predict(trained.input_example)
    assert list(served.columns) == ["p10", "p50", "p90", "p_late"] and len(served) == len(trained.input_example)
