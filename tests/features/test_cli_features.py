"""`backorder features build|apply|materialize` as a user runs them."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from features.feature_store import online_features, open_store
from pipelines.cli import app


@pytest.mark.slow
def test_build_apply_materialize_then_read_online(settings, world):
    settings.canonical_dir.mkdir(parents=True)
    for name, frame in world.items():
        frame.to_parquet(settings.canonical_dir / f"{name}.parquet", index=False)
    runner = CliRunner()

    built = runner.invoke(app, ["features", "build", "--horizon", "7"])
    assert built.exit_code == 0, built.output
    labels = pd.read_parquet(settings.features_dir / "sku_location_labels.parquet")
    assert labels["snapshot_date"].max() == world["inventory_snapshots"][
        "snapshot_date"
    ].max() - pd.Timedelta(days=7)
    assert "sku_location_features" in built.output

    applied = runner.invoke(app, ["features", "apply"])
    assert applied.exit_code == 0, applied.output
    assert "sku_location_risk_v1" in applied.output
    assert (settings.feature_repo_dir / "feature_store.yaml").exists()

    loaded = runner.invoke(app, ["features", "materialize"])
    assert loaded.exit_code == 0, loaded.output
    row = online_features(
        open_store(settings),
        pd.DataFrame({"sku_id": ["SKU-2"], "location_id": ["DC-2"], "supplier_id": ["S-2"]}),
        "sku_location_risk_v1",
    )
    snaps = world["inventory_snapshots"]
    last = snaps[(snaps["sku_id"] == "SKU-2") & (snaps["location_id"] == "DC-2")].iloc[-1]
    assert row["on_hand"].iloc[0] == last["on_hand"]


def test_build_without_canonical_tables_names_the_missing_table(settings):
    result = CliRunner().invoke(app, ["features", "build"])
    assert result.exit_code == 2
    assert "canonical table(s) inventory_snapshots" in result.output and "backorder simulate" in result.output
