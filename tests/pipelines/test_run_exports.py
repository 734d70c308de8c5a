"""Your own data end to end: a small simulated world written as CSV exports, without ASN events and
with a header-only promotions file, through ingest → features → train, and through `backorder run`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from contracts.tables import CANONICAL_TABLES
from pipelines.cli import app

pytestmark = pytest.mark.slow

MODELS = ("backorder_risk", "sku_location_risk", "demand", "lead_time")
NO_ASN = "no ASN events: ETAs from promised dates and the lead-time model only"
NO_PROMOTIONS = "no promotions: the promotion features and covariates are 0 (no promotion known) on every day"


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    """A 20-SKU, 240-day world as one CSV per table: no asn_events file, promotions header only."""
    from pipelines.commands.simulate import validated_tables
    from simulation import scenario_config, simulate

    folder = tmp_path_factory.mktemp("exports")
    tables = validated_tables(simulate(scenario_config("baseline", seed=0, n_skus=20, n_days=240)))
    for name, frame in tables.items():
        if name == "asn_events":
            continue
        (frame.iloc[:0] if name == "promotions" else frame).to_csv(folder / f"{name}.csv", index=False)
    assert (folder / "promotions.csv").read_text().strip() == ",".join(CANONICAL_TABLES["promotions"].column_names)
    return folder


def _invoke(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_without_asn_events_and_promotions_every_step_runs(exports, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = str(tmp_path / "data")
    ingested = _invoke("--data-dir", data, "ingest", str(exports))
    assert NO_ASN in ingested.output and NO_PROMOTIONS in ingested.output

    _invoke("--data-dir", data, "features", "build", "--no-asof")
    features = pd.read_parquet(tmp_path / "data" / "features" / "sku_location_features.parquet")
    assert len(features) > 0
    for name in ("promo_active", "promo_next_h", "promo_discount_next_h"):
        assert features[name].eq(0).all(), name  # no promotion known
    assert features["projected_position_lt"].notna().any()  # inbound counted on promised dates

    trained = _invoke("--data-dir", data, "train", "lead-time")
    assert "lead_time v1 registered as challenger" in trained.output


def test_run_from_exports_gives_champions_and_a_report_and_a_rerun_does_nothing(exports, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    first = _invoke("run", "--exports", str(exports), "--data-dir", str(data))
    assert NO_ASN in first.output and NO_PROMOTIONS in first.output
    client = MlflowClient(tracking_uri=f"sqlite:///{data / 'mlflow' / 'mlflow.db'}")
    for name in MODELS:  # each trained once, then promoted only through the baseline gate
        version = client.get_model_version_by_alias(name, "challenger")
        assert str(version.version) == "1", name
        promoted = "champion" in client.get_registered_model(name).aliases
        assert promoted or f"{name}: not promoted, no champion" in first.output, name
        assert not any(key.startswith("forced_promotion.") for key in version.tags), name
    for name in ("sku_location_risk", "demand"):  # the report's champions
        assert str(client.get_model_version_by_alias(name, "champion").version) == "1", name
    index = data / "reports" / "latest" / "index.html"
    assert 'id="at-risk"' in index.read_text() and (data / "reports" / "latest" / "at_risk.csv").exists()
    written = index.stat().st_mtime_ns

    second = _invoke("run", "--exports", str(exports), "--data-dir", str(data))
    assert "nothing to do" in second.output
    assert ": ran:" not in second.output
    for name in MODELS:
        assert [str(v.version) for v in client.search_model_versions(f"name = '{name}'")] == ["1"]
    assert index.stat().st_mtime_ns == written
