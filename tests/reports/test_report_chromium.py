"""The planner report as a planner opens it: built from a small trained world, loaded in headless
Chromium, every section present and every plot decoded; the screenshot is kept as a test artifact."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient
from threadpoolctl import threadpool_limits

from reports.render import SECTION_IDS
from tests.conftest import chromium_path

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def trained_world(featured_world):
    """A 12-SKU, 240-day world with small sku_location_risk and demand champions.

    Trained through the same public steps as ``backorder train`` (``train_classifier``,
    ``train_demand``, ``log_training_run``) with one seed and fewer rounds, and on labels joined to their own
    day's features instead of a Feast point-in-time join (the same rows, without the store).
    """
    from features.build import sku_location_feature_names
    from pipelines.tables import read_canonical_tables
    from training.recipes import SKU_LOCATION_RISK, DemandJob
    from training.tracking import configure, log_training_run
    from training.world_datasets import daily_demand
    from training.world_models import train_classifier, train_demand

    with featured_world("report_world", n_skus=12) as settings:
        tables = read_canonical_tables(
            settings.canonical_dir, ("order_lines", "orders", "promotions", "inventory_snapshots", "skus")
        )
        keys = ["sku_id", "location_id", "snapshot_date"]
        features = pd.read_parquet(settings.features_dir / "sku_location_features.parquet")
        labels = pd.read_parquet(settings.features_dir / "sku_location_labels.parquet", columns=[*keys, "label"])
        frame = labels.merge(features, on=keys).merge(tables["skus"][["sku_id", "category"]], on="sku_id")
        job = replace(SKU_LOCATION_RISK, recipe=replace(SKU_LOCATION_RISK.recipe, n_seeds=1, num_boost_round=80))
        demand_job = DemandJob(history_days=90, n_origins=1, num_boost_round=60, backtest_series=40)
        history = daily_demand(
            tables["order_lines"], tables["orders"], tables["promotions"], tables["inventory_snapshots"],
            tables["skus"], demand_job.history_days,
        )
        # One OpenMP thread: on a busy 2-core machine LightGBM's threads wait on each other (19 s -> 2 s).
        with threadpool_limits(limits=1):
            risk = train_classifier(job, frame, sku_location_feature_names(), settings.num_threads)
            demand = train_demand(demand_job, history)
        for trained in (risk, demand):
            name = trained.record.model_name
            experiment = configure(settings.tracking_uri, settings.artifact_root, name)
            version = log_training_run(trained.record, trained.estimator, trained.input_example, experiment)
            MlflowClient().set_registered_model_alias(name, "champion", version.version)
        yield settings
    mlflow.set_tracking_uri(None)


def _run_chromium(*args: str) -> str:
    flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000"]
    done = subprocess.run([chromium_path(), *flags, *args], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_report_renders_every_section_and_plot_in_chromium(trained_world):
    from pipelines.commands.report import write_report
    from serving.reports import report_file

    index = write_report(trained_world, what_if_days=60)
    latest = trained_world.reports_dir / "latest"
    assert index == latest / "index.html"
    assert report_file(latest, "index.html") == index.resolve()  # what the service hands to planners
    for name in ("at_risk.csv", "recommendations.csv", "suppliers.csv", "what_if.csv"):
        assert len(pd.read_csv(latest / name)) > 0 or name == "recommendations.csv", name
    at_risk = pd.read_csv(latest / "at_risk.csv")
    assert at_risk["expected_cost"].is_monotonic_decreasing and at_risk["rank"].iloc[0] == 1
    assert at_risk["expected_cost"].iloc[0] > 0 and at_risk["backorder_probability"].max() > 0.05
    assert at_risk["reasons"].fillna("").str.len().gt(0).any()

    dom = _run_chromium("--dump-dom", index.as_uri())
    for section in SECTION_IDS:
        assert re.search(rf'<section id="{section}">\s*<h2>', dom), f"section {section} missing"
    loaded = re.search(r'data-images-loaded="(\d+)/(\d+)"', dom)
    assert loaded, "the page's load script did not run"
    ok, total = map(int, loaded.groups())
    assert ok == total >= 4, f"{ok} of {total} plots rendered"
    for name in ("at_risk.csv", "recommendations.csv", "suppliers.csv", "what_if.csv"):
        assert f'href="{name}"' in dom

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    _run_chromium(f"--screenshot={shot}", "--window-size=1280,800", index.as_uri())
    assert shot.exists() and shot.stat().st_size > 10_000


@pytest.mark.slow
def test_without_a_demand_champion_the_report_takes_the_recent_demand(trained_world, tmp_path):
    """A demand model that never passed its gate leaves a report all the same: demand over the horizon
    from each SKU-location's orders of the last 28 days, and the forecast section says why it has no
    forecasts."""
    from features.build import TIMESTAMP
    from pipelines.commands.report import write_report
    from pipelines.tables import latest_feature_rows

    client = MlflowClient()
    version = client.get_model_version_by_alias("demand", "champion").version
    client.delete_registered_model_alias("demand", "champion")
    try:
        index = write_report(trained_world, tmp_path / "report", what_if_days=30)
    finally:
        client.set_registered_model_alias("demand", "champion", version)
    page = index.read_text()
    assert "Demand over the horizon: recent 28-day mean and s.d. (normal); no demand champion" in page
    assert re.search(r'<section id="forecast">\s*<h2>', page) and "No demand champion" in page
    at_risk = pd.read_csv(tmp_path / "report" / "at_risk.csv")
    # By hand: units ordered over the 28 days up to the report date, per day, times the 14-day horizon.
    as_of = latest_feature_rows(trained_world.features_dir, "sku_location_features", TIMESTAMP)["snapshot_date"].max()
    orders = pd.read_parquet(trained_world.canonical_dir / "orders.parquet", columns=["order_id", "order_time"])
    lines = pd.read_parquet(trained_world.canonical_dir / "order_lines.parquet").merge(orders, on="order_id")
    day = pd.to_datetime(lines["order_time"]).dt.normalize()
    recent = lines[(day > as_of - pd.Timedelta(days=28)) & (day <= as_of)]
    expected = recent.groupby(["sku_id", "location_id"])["quantity"].sum() / 28 * 14
    got = at_risk.set_index(["sku_id", "location_id"])["demand_p50"]
    assert got.gt(0).sum() == expected.gt(0).sum() > 0
    pd.testing.assert_series_equal(got, expected.reindex(got.index, fill_value=0.0).astype(float), check_names=False)
