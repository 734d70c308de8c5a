"""Readiness: per table rows and span, per model whether the data can train it; train refuses by the same rule."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.commands.train import MODEL_OF, train_model
from training.readiness import NotEnoughData, model_readiness, readiness, require_ready
from training.recipes import DATA_MINIMUMS


@pytest.fixture(scope="module")
def short_world(tmp_path_factory):
    """A 60-day simulated world: too short for every model."""
    from pipelines.commands.simulate import validated_tables
    from simulation import scenario_config, simulate

    return validated_tables(simulate(scenario_config("baseline", seed=0, n_skus=8, n_days=60)))


def _purchase_orders(suppliers: list[str], days: int) -> pd.DataFrame:
    n = len(suppliers)
    order = pd.date_range("2024-01-01", periods=n, freq=f"{max(days // max(n - 1, 1), 1)}D")
    return pd.DataFrame({
        "po_id": [f"PO-{i}" for i in range(n)], "supplier_id": suppliers, "order_date": order,
        "received_date": order + pd.Timedelta(days=10),
    })


def test_every_world_model_declares_its_minimum_once():
    assert set(DATA_MINIMUMS) == set(MODEL_OF.values())


def test_lead_time_needs_history_receipts_and_two_suppliers():
    one_supplier = {"purchase_orders": _purchase_orders(["S-1"] * 60, 200)}
    ready = model_readiness("lead_time", one_supplier)
    assert not ready.can_train
    assert ready.shortfall == ("1 supplier(s) with receipts, needs 2",)

    enough = {"purchase_orders": _purchase_orders(["S-1", "S-2"] * 30, 200)}
    assert model_readiness("lead_time", enough).can_train


def test_a_short_world_can_train_nothing_and_says_what_is_short(short_world):
    ready = readiness(short_world)
    assert ready.trainable == []
    spans = {t.table: t for t in ready.tables}
    assert spans["inventory_snapshots"].rows == len(short_world["inventory_snapshots"])
    assert (spans["inventory_snapshots"].first_day, spans["inventory_snapshots"].last_day) == (
        str(short_world["inventory_snapshots"]["snapshot_date"].min().date()),
        str(short_world["inventory_snapshots"]["snapshot_date"].max().date()),
    )
    assert "60 days of inventory_snapshots.snapshot_date, needs 84" in ready.model("demand").shortfall
    with pytest.raises(NotEnoughData, match=r"not enough data to train lead_time: .*needs 120"):
        require_ready("lead_time", short_world)


def test_train_and_check_refuse_up_front_on_a_short_world(short_world, settings):
    from pipelines.tables import write_canonical_tables

    write_canonical_tables(short_world, settings.canonical_dir)
    with pytest.raises(NotEnoughData, match=r"lead_time: .*needs 120"):
        train_model(settings, "lead-time")  # before looking for features or a registry
    with pytest.raises(NotEnoughData, match=r"sku_location_risk: .*needs 90"):
        train_model(settings, "sku-risk")

    result = CliRunner().invoke(app, ["--data-dir", str(settings.data_dir), "check"])
    assert result.exit_code == 1
    assert "inventory_snapshots" in result.output and "lead_time: cannot train" in result.output
    assert "the data can train no model" in result.output and "needs 120" in result.output
