"""Training the order-line risk classifier and the demand model on Dask: their training sets come
from the Dask feature path (equal to the single-process ones), the classifier's Dask path gives
the single-process model on one worker and scores close to it on two, and the demand model
fitted on two workers forecasts like the single-process fit on the same rows."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from features.build import sku_location_feature_names
from features.distributed import feature_frames_dask, order_line_training_rows_dask, read_tables_dask
from features.feast_repo.definitions import TTL
from features.order_line import request_feature_names
from features.timeseries import ID, TARGET, TIME
from tests.conftest import local_cluster
from training.dask_datasets import daily_demand_dask
from training.forecasting.model import DemandForecaster, quantile_column
from training.recipes import BACKORDER_RISK, DEMAND, demand_spec, unsampled
from training.world_datasets import daily_demand
from training.world_models import train_classifier

FEATURES = [*sku_location_feature_names(), *request_feature_names()]
# The recipe's trees without row and column sampling (a worker samples only its own rows), one
# seed, fewer rounds. This world's backorders come in June and July:
# folds cut there hold hundreds of positives each, where the default quantile cutoffs leave a
# test month of a few dozen.
JOB = unsampled(BACKORDER_RISK, cutoffs=("2024-06-01", "2024-06-16", "2024-07-01"))
DEMAND_SPEC = replace(demand_spec(DEMAND), num_boost_round=60)
HISTORY_DAYS = 90
HELD_OUT_DAYS = DEMAND_SPEC.horizon


@pytest.fixture(scope="module")
def world(featured_world):
    """A 20-SKU, 240-day world with its feature tables (pandas path) and Feast definitions."""
    with featured_world("dask_order_lines", n_skus=20) as settings:
        yield settings


@pytest.fixture(scope="module")
def client(world):
    with local_cluster(2) as client:
        yield client


@pytest.fixture(scope="module")
def lazy_lines(world, client):
    sku_location, supplier, lane, lines = feature_frames_dask(read_tables_dask(world.canonical_dir), npartitions=2)
    return order_line_training_rows_dask(sku_location, supplier, lane, lines, 2, pd.Timedelta(TTL))


@pytest.mark.slow
def test_dask_order_line_rows_are_feasts_point_in_time_training_set(world, lazy_lines):
    from features.feature_store import apply_definitions, order_line_training_set
    from pipelines.tables import read_feature_table

    labels = read_feature_table(world.features_dir, "order_line_labels")
    want = order_line_training_set(apply_definitions(world), labels, "backorder_risk_v1")
    have = lazy_lines.compute()
    columns = ["order_id", "line_id", "label", *FEATURES]
    order = dict(by=["order_id", "line_id"], ignore_index=True)
    have = have[columns].sort_values(**order).astype({"order_id": object, "line_id": object})
    want = want[columns].sort_values(**order).astype({"order_id": object, "line_id": object})
    assert have[FEATURES].notna().any().sum() > len(FEATURES) // 2  # the join found features
    pd.testing.assert_frame_equal(have, want, check_dtype=False)


@pytest.mark.slow
def test_order_line_classifier_fitted_by_lightgbm_dask_is_the_single_process_fit(lazy_lines, client):
    """On one Dask worker the whole Dask path (folds on the cluster, class weights, every round
    grown and early stopping replayed, the refit) gives exactly the single-process model. On two
    workers the bins, the start and the leaf-size rule (in hessian, which both learners sum
    exactly) are the single-process ones, but distributed LightGBM searches features one process
    has dropped for a leaf, so the boosters part a little: the test PR-AUC is within 0.01."""
    in_process = train_classifier(JOB, lazy_lines.compute(), FEATURES, num_threads=1)
    with local_cluster(1):
        on_one = train_classifier(JOB, lazy_lines, FEATURES, num_threads=1)
    on_two = train_classifier(JOB, lazy_lines, FEATURES, num_threads=1)
    for name in ("cutoffs", "fold_sizes", "best_iterations"):
        assert on_one.record.params[name] == in_process.record.params[name]
    assert list(on_one.estimator.feature_names_in_) == FEATURES
    assert on_one.record.metrics["pr_auc"] == pytest.approx(in_process.record.metrics["pr_auc"], abs=1e-9)
    assert on_two.record.params["fold_sizes"] == in_process.record.params["fold_sizes"]
    assert on_two.record.metrics["pr_auc"] == pytest.approx(in_process.record.metrics["pr_auc"], abs=0.01)
    assert on_two.record.metrics["pr_auc"] > on_two.record.metrics["baseline_rule.pr_auc"]


def _pinball(model: DemandForecaster, truth: pd.DataFrame) -> float:
    """Mean pinball loss over P10/P50/P90 of the forecast of ``truth``'s days."""
    forecast = model.predict(HELD_OUT_DAYS, truth).merge(truth[[ID, TIME, TARGET]], on=[ID, TIME])
    losses = []
    for q in DEMAND_SPEC.quantiles:
        error = forecast[TARGET] - forecast[quantile_column(q)]
        losses.append(np.maximum(q * error, (q - 1) * error).mean())
    return float(np.mean(losses))


@pytest.mark.slow
def test_demand_model_fitted_on_dask_forecasts_like_the_single_process_fit(world, client):
    from pipelines.tables import read_canonical_tables

    names = ("order_lines", "orders", "promotions", "inventory_snapshots", "skus")
    tables = read_canonical_tables(world.canonical_dir, names)
    frame = daily_demand(
        tables["order_lines"],
        tables["orders"],
        tables["promotions"],
        tables["inventory_snapshots"],
        tables["skus"],
        HISTORY_DAYS,
    )
    lazy = daily_demand_dask(world.canonical_dir, tables["skus"], 2, HISTORY_DAYS)
    have = lazy.compute().astype({ID: object}).sort_values([ID, TIME], ignore_index=True)
    pd.testing.assert_frame_equal(have[frame.columns], frame, check_dtype=False)

    end = frame[TIME].max() - pd.Timedelta(days=HELD_OUT_DAYS)
    truth = frame[frame[TIME] > end]
    on_dask = DemandForecaster(DEMAND_SPEC).fit(lazy[lazy[TIME] <= end])
    in_process = DemandForecaster(DEMAND_SPEC).fit(frame[frame[TIME] <= end])
    assert on_dask.fit_info_["rows_refit"] == in_process.fit_info_["rows_refit"]
    assert on_dask.feature_names_ == in_process.feature_names_
    # A quantile booster's leaf values are the mean of each worker's own percentile, so the two
    # fits differ by how the rows are spread over the workers (docs/scaling.md).
    assert _pinball(on_dask, truth) == pytest.approx(_pinball(in_process, truth), rel=0.02)
