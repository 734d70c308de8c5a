"""`features asof` feeds point-in-time model outputs into the feature build: the forecast-error and
model-inbound features are filled, the build picks the outputs up (and rebuilds when they change),
and outputs made from other canonical tables are refused rather than used."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest
from typer.testing import CliRunner

from contracts.errors import MissingInput
from features.build import asof_feature_names
from pipelines.asof_outputs import write_asof_outputs
from pipelines.cli import app
from pipelines.commands.features import BUILD_STAMP, write_feature_tables
from training.world_asof import known_promotions

START = pd.Timestamp("2024-01-01")  # the feature world's first day (conftest)



def day(n: int) -> pd.Timestamp:
    return START + pd.Timedelta(days=n)


@pytest.fixture
def canonical_settings(settings, world):
    settings.canonical_dir.mkdir(parents=True)
    for name, frame in world.items():
        frame.to_parquet(settings.canonical_dir / f"{name}.parquet", index=False)
    return settings


def _features(settings) -> pd.DataFrame:
    return pd.read_parquet(settings.features_dir / "sku_location_features.parquet")


def test_asof_outputs_fill_the_model_based_features(canonical_settings, small_asof_job):
    settings = canonical_settings
    stamp = write_asof_outputs(settings, small_asof_job)
    assert stamp["refits"] == {"demand": 3, "lead_time": 3} and stamp["rows"]["po_etas"] > 0
    write_feature_tables(settings, horizon=14, forecasts=None)
    features = _features(settings)
    for column in asof_feature_names():
        assert features[column].notna().any(), column
    # Point in time: no forecast error before the first forecast's target day has happened.
    forecasts = pd.read_parquet(settings.asof_dir / "demand_forecasts.parquet")
    assert forecasts["ds"].min() == day(28)
    assert features.loc[features["snapshot_date"] < day(28), "forecast_bias_28"].isna().all()
    assert features.loc[features["snapshot_date"] >= day(28), "forecast_bias_28"].notna().all()
    assert write_asof_outputs(settings, small_asof_job)["skipped"]  # unchanged inputs: nothing recomputed


def test_build_follows_the_asof_outputs_and_refuses_stale_ones(canonical_settings, small_asof_job):
    settings = canonical_settings
    write_asof_outputs(settings, small_asof_job)
    write_feature_tables(settings, horizon=14, forecasts=None)
    first = json.loads((settings.features_dir / BUILD_STAMP).read_text())
    assert first["forecasts"].endswith("demand_forecasts.parquet") and first["po_etas"].endswith("po_etas.parquet")

    write_asof_outputs(settings, replace(small_asof_job, demand_refit_days=7))  # other outputs: the build redoes
    write_feature_tables(settings, horizon=14, forecasts=None)
    assert json.loads((settings.features_dir / BUILD_STAMP).read_text())["inputs"] != first["inputs"]

    lines = pd.read_parquet(settings.canonical_dir / "order_lines.parquet")
    lines.iloc[:-1].to_parquet(settings.canonical_dir / "order_lines.parquet", index=False)
    with pytest.raises(MissingInput, match="run `backorder features asof`"):
        write_feature_tables(settings, horizon=14, forecasts=None)
    result = CliRunner().invoke(app, ["features", "build", "--no-asof"])
    assert result.exit_code == 0, result.output
    assert _features(settings)[asof_feature_names()].isna().all().all()


def test_asof_on_too_short_a_history_names_the_problem(canonical_settings):
    result = CliRunner().invoke(app, ["features", "asof"])  # default schedule: 91 days of POs first
    assert result.exit_code == 2
    assert "need more than 91 days for an as-of ETA" in result.output


def test_promotions_are_known_covariates_from_their_announcement_on(world):
    known = known_promotions(world["promotions"])  # P-2: SKU-3 at DC-2, announced day 30, days 31-33
    targets = pd.DataFrame({"unique_id": "SKU-3|DC-2", "ds": [day(31), day(32), day(33), day(34)]})
    assert known(targets.assign(origin=day(29)))["promo_active"].eq(0).all()
    announced = known(targets.assign(origin=day(30)))
    assert announced["promo_active"].tolist() == [1, 1, 1, 0]
    assert announced["promo_discount"].tolist() == [0.1, 0.1, 0.1, 0.0]
    both = known(pd.concat([targets.assign(origin=day(29)), targets.assign(origin=day(30))], ignore_index=True))
    assert both["promo_active"].tolist() == [0, 0, 0, 0, 1, 1, 1, 0]
