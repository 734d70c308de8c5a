"""Daily inventory snapshots rebuilt from current stock give back the history a system recorded."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from contracts.errors import ContractError
from contracts.export_yaml import load_export_description
from contracts.inventory_history import DERIVED_WHEN_ABSENT, QUANTITIES, holds_current_stock, rebuild_history
from contracts.keys import SKU_LOCATION
from contracts.optional_inputs import empty_table
from pipelines.cli import app
from simulation import BaselinePolicy, DailyDecisions, SimulationConfig, StateView, simulate

DAY_KEY = ["snapshot_date", *SKU_LOCATION]


class TransferringPolicy:
    """The ERP baseline plus a weekly transfer from the first location to the next one and
    expedites of PO lines due soon, so that transfers and moved arrival dates are in the history."""

    def __init__(self, config: SimulationConfig) -> None:
        self.baseline = BaselinePolicy.from_config(config)

    def decide(self, view: StateView) -> DailyDecisions:
        decisions = self.baseline.decide(view)
        source = np.flatnonzero((view.terms.location == 0) & (view.on_hand > 4))
        source = source if view.day % 7 == 3 else source[:0]
        offered = view.terms.expedite_days_saved[view.po_n, view.po_slot] > 0
        due_soon = offered & ~view.po_expedited & (view.po_promised_day <= view.day + 2)
        return replace(
            decisions,
            transfer_from=source,
            transfer_to=source + 1,
            transfer_quantity=view.on_hand[source] // 4,
            expedite_po=view.po_id[due_soon][:2],
        )


def _world(seed: int, split_allowed_share: float, transfers: bool):
    config = SimulationConfig(
        seed=seed, n_skus=20, n_locations=2, n_suppliers=5, n_days=120, n_customers=60,
        split_allowed_share=split_allowed_share,
    )
    return simulate(config, TransferringPolicy(config) if transfers else None).tables


def _current(snapshots: pd.DataFrame) -> pd.DataFrame:
    return snapshots[snapshots["snapshot_date"] == snapshots["snapshot_date"].max()]


def _rebuild(tables: dict[str, pd.DataFrame], snapshots: pd.DataFrame):
    return rebuild_history(
        snapshots,
        tables["order_lines"],
        tables["orders"],
        tables["purchase_orders"],
        tables["inventory_movements"],
        start=tables["inventory_snapshots"]["snapshot_date"].min(),
    )


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(DAY_KEY).reset_index(drop=True)[[*DAY_KEY, *QUANTITIES]]


@pytest.fixture(scope="module")
def complete_lines_world() -> dict[str, pd.DataFrame]:
    """Lines ship complete (no split orders): every shipment has its day in order_lines."""
    return _world(seed=5, split_allowed_share=0.0, transfers=True)


@pytest.fixture(scope="module")
def split_lines_world() -> dict[str, pd.DataFrame]:
    return _world(seed=11, split_allowed_share=0.8, transfers=False)


def test_rebuilding_from_the_last_snapshot_gives_back_every_daily_snapshot(complete_lines_world):
    tables = complete_lines_world
    truth = tables["inventory_snapshots"]
    movements = tables["inventory_movements"]
    assert movements["counterpart_location_id"].notna().any() and (movements["quantity_delta"] > 0).any()
    assert tables["purchase_orders"]["is_expedited"].any()
    assert (truth["allocated"] > 0).any() and (truth["in_transit"] > 0).any() and (truth["backordered"] > 0).any()

    history = _rebuild(tables, _current(truth))

    pd.testing.assert_frame_equal(_sorted(history.snapshots), _sorted(truth))
    assert history.reconciliation["days_rebuilt"].eq(truth["snapshot_date"].nunique()).all()
    assert history.reconciliation["negative_days"].sum() == 0
    assert history.reconciliation["undated_units"].sum() == 0


def test_sku_locations_left_out_of_current_stock_are_rebuilt_as_holding_none(complete_lines_world):
    """Systems often export only what they hold: a SKU-location without a row has none on hand,
    and its in-transit and backordered units come from its open PO and order lines."""
    truth = complete_lines_world["inventory_snapshots"]
    current = _current(truth)
    empty = current[(current["on_hand"] == 0) & ((current["in_transit"] > 0) | (current["backordered"] > 0))]
    assert len(empty) >= 1

    history = _rebuild(complete_lines_world, current.drop(empty.index))

    assert history.unlisted == len(empty)
    pd.testing.assert_frame_equal(_sorted(history.snapshots), _sorted(truth))


def test_the_reconciliation_compares_with_the_snapshots_of_earlier_dates(complete_lines_world):
    truth = complete_lines_world["inventory_snapshots"]
    history = _rebuild(complete_lines_world, truth)
    rec = history.reconciliation
    assert len(rec) == truth[SKU_LOCATION].drop_duplicates().shape[0]
    assert rec["reference_days"].eq(truth["snapshot_date"].nunique() - 1).all()
    assert rec["max_discrepancy"].eq(0).all()

    moved = truth.assign(on_hand=truth["on_hand"] + np.where(truth.index == 7, 3, 0))
    off = _rebuild(complete_lines_world, moved).reconciliation
    row = moved.loc[7]
    at = (off["sku_id"] == row["sku_id"]) & (off["location_id"] == row["location_id"])
    assert off.loc[at, "max_discrepancy"].tolist() == [3.0]
    assert off.loc[~at, "max_discrepancy"].eq(0).all()


def test_lines_shipped_in_pieces_overstate_stock_by_at_most_the_pieces_shipped_after_the_order_day(
    split_lines_world,
):
    """order_lines records the order-day shipment and the day a line completes, not each piece
    in between: rebuilt stock and backorders are never below the truth, and above it by at most
    the units split lines shipped after their order day."""
    tables = split_lines_world
    truth = tables["inventory_snapshots"]
    history = _rebuild(tables, _current(truth))
    both = _sorted(history.snapshots).merge(_sorted(truth), on=DAY_KEY, suffixes=("", "_true"))
    excess = {q: both[q] - both[f"{q}_true"] for q in QUANTITIES}

    assert (excess["in_transit"] == 0).all()
    assert (excess["on_hand"] >= 0).all() and (excess["backordered"] >= 0).all()
    assert (excess["on_hand"] > 0).any()  # the tolerance is needed on this world

    lines = tables["order_lines"].merge(tables["orders"][["order_id", "allow_split"]], on="order_id")
    later = (lines["shipped_quantity"] - (lines["quantity"] - lines["backordered_quantity"])).where(
        lines["allow_split"], 0
    )
    bound = later.groupby([lines[k] for k in SKU_LOCATION]).sum()
    worst = excess["on_hand"].groupby([both[k] for k in SKU_LOCATION]).max()
    assert (worst <= bound.reindex(worst.index, fill_value=0)).all()
    assert history.reconciliation["negative_days"].sum() == 0


def _tiny_world(reason_code: str | None) -> dict[str, pd.DataFrame]:
    """One SKU-location, 10 days: 25 units shipped on day 3, a count adds 30 on day 5, 5 left."""
    day = pd.Timestamp("2024-03-01")
    return {
        "snapshots": pd.DataFrame(
            {"snapshot_date": [day + pd.Timedelta(days=9)], "sku_id": ["SKU-1"], "location_id": ["DC-1"],
             "on_hand": [5], "allocated": [0], "in_transit": [0], "backordered": [0]}
        ),
        "order_lines": pd.DataFrame(
            {"order_id": ["O-1"], "line_id": ["1"], "sku_id": ["SKU-1"], "location_id": ["DC-1"],
             "quantity": [25], "requested_date": [day], "shipped_quantity": [25],
             "shipped_date": [day + pd.Timedelta(days=2)], "backordered_quantity": [0]}
        ),
        "orders": pd.DataFrame(
            {"order_id": ["O-1"], "customer_id": ["C-1"], "customer_tier": ["gold"],
             "order_time": [day + pd.Timedelta(days=2, hours=9)], "allow_split": [False]}
        ),
        "purchase_orders": pd.DataFrame(
            columns=["po_id", "supplier_id", "sku_id", "location_id", "quantity", "order_date",
                     "promised_date", "received_date", "received_quantity", "is_expedited"]
        ),
        "movements": pd.DataFrame(
            {"movement_id": ["M-1"], "sku_id": ["SKU-1"], "location_id": ["DC-1"],
             "movement_date": [day + pd.Timedelta(days=4)], "quantity_delta": [30],
             "reason_code": [reason_code], "counterpart_location_id": [None]}
        ),
    }


@pytest.mark.parametrize("reason_code", ["cycle count: units found", None])
def test_negative_stock_is_explained_only_by_a_movement_that_states_why(reason_code):
    world = _tiny_world(reason_code)
    history = rebuild_history(
        world["snapshots"], world["order_lines"], world["orders"], world["purchase_orders"],
        world["movements"], start=pd.Timestamp("2024-03-01"),
    )
    on_hand = history.snapshots.set_index("snapshot_date")["on_hand"]
    assert on_hand.tolist() == [0, 0, 0, 0, 5, 5, 5, 5, 5, 5]  # -25 on days 3 and 4, written as 0
    negative = history.negative_stock
    assert negative["snapshot_date"].tolist() == [pd.Timestamp("2024-03-03"), pd.Timestamp("2024-03-04")]
    assert negative["on_hand"].tolist() == [-25, -25]
    rec = history.reconciliation.iloc[0]
    assert rec["negative_days"] == 2
    if reason_code:
        assert negative["explained_by"].tolist() == [reason_code, reason_code]
        assert rec["unexplained_negative_days"] == 0
    else:
        assert negative["explained_by"].isna().all()
        assert rec["unexplained_negative_days"] == 2 and history.unexplained_negative_days == 2


def test_current_stock_is_told_by_the_dates_unless_export_yaml_says_otherwise():
    assert holds_current_stock(None, 1) and not holds_current_stock(None, 30)
    assert holds_current_stock("current_stock", 30) and not holds_current_stock("snapshots", 1)


def test_export_yaml_names_what_inventory_snapshots_hold(tmp_path):
    (tmp_path / "export.yaml").write_text("inventory: current_stock\n")
    assert load_export_description(tmp_path).inventory == "current_stock"
    (tmp_path / "export.yaml").write_text("inventory: current\n")
    with pytest.raises(ContractError, match="export.yaml: inventory: Input should be 'snapshots' or 'current_stock'"):
        load_export_description(tmp_path)


def _write_export(tables: dict[str, pd.DataFrame], snapshots: pd.DataFrame, folder):
    folder.mkdir()
    for name, frame in {**tables, "inventory_snapshots": snapshots}.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.mark.parametrize("declared", [None, "current_stock"])
def test_ingest_of_current_stock_writes_the_rebuilt_daily_history(
    declared, complete_lines_world, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    truth = complete_lines_world["inventory_snapshots"]
    dates = truth["snapshot_date"]
    # declared: a month-end count next to today's stock, compared with the rebuilt history
    exported = _current(truth) if declared is None else truth[dates.isin([dates.min(), dates.max()])]
    source = _write_export(complete_lines_world, exported, tmp_path / "export")
    if declared:
        (source / "export.yaml").write_text(f"inventory: {declared}\n")

    result = CliRunner().invoke(app, ["ingest", str(source)])

    assert result.exit_code == 0, result.output
    assert f"inventory_snapshots rebuilt from the stock of {dates.max():%Y-%m-%d}" in result.output
    written = pd.read_parquet(tmp_path / "data" / "canonical" / "inventory_snapshots.parquet")
    pd.testing.assert_frame_equal(_sorted(written), _sorted(truth))
    rec = pd.read_csv(tmp_path / "data" / "canonical" / "_inventory_reconciliation.csv")
    assert rec["reference_days"].sum() == (0 if declared is None else len(rec))
    assert (tmp_path / "data" / "quarantine" / "inventory_negative_stock.csv").exists()


def test_quantities_left_out_of_current_stock_come_from_the_open_documents(complete_lines_world):
    """A WMS knows what is on the shelf: in transit and backordered are what the open PO and
    order lines add up to, allocated what the open backorders hold of the stock."""
    truth = complete_lines_world["inventory_snapshots"]
    current = _current(truth).assign(allocated=0, in_transit=0, backordered=0)
    history = rebuild_history(
        current, complete_lines_world["order_lines"], complete_lines_world["orders"],
        complete_lines_world["purchase_orders"], complete_lines_world["inventory_movements"],
        start=truth["snapshot_date"].min(), derived=DERIVED_WHEN_ABSENT,
    )
    pd.testing.assert_frame_equal(_sorted(history.snapshots), _sorted(truth))


def test_ingest_of_current_stock_without_what_is_on_order_derives_it(complete_lines_world, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    truth = complete_lines_world["inventory_snapshots"]
    dates = truth["snapshot_date"]
    # a month-end count and today's stock, both with on hand only
    shelf = truth[dates.isin([dates.min(), dates.max()])].drop(columns=list(DERIVED_WHEN_ABSENT))
    source = _write_export(complete_lines_world, shelf, tmp_path / "export")

    refused = CliRunner().invoke(app, ["ingest", str(source)])
    assert refused.exit_code == 2
    assert "missing required column(s) allocated, in_transit, backordered" in refused.output

    (source / "export.yaml").write_text("inventory: current_stock\n")
    result = CliRunner().invoke(app, ["ingest", str(source)])
    assert result.exit_code == 0, result.output
    assert "not in the current stock, from the open documents: allocated, in_transit, backordered" in result.output
    written = pd.read_parquet(tmp_path / "data" / "canonical" / "inventory_snapshots.parquet")
    pd.testing.assert_frame_equal(_sorted(written), _sorted(truth))
    rec = pd.read_csv(tmp_path / "data" / "canonical" / "_inventory_reconciliation.csv")
    assert rec["reference_days"].eq(1).all() and rec["max_discrepancy"].eq(0).all()


def test_a_po_line_delivered_in_two_parts_adds_each_delivery_on_its_day():
    """100 units ordered on 1 March, 60 delivered on the 5th and 30 on the 8th (the line closed short):
    stock rises on each delivery's day, and transit falls with it; without the deliveries the whole
    receipt lands on the 8th."""
    po = empty_table("purchase_orders").astype(object)
    po.loc[0] = {"po_id": "PO-1", "supplier_id": "S-1", "sku_id": "SKU-1", "location_id": "DC-1", "quantity": 100,
                 "order_date": pd.Timestamp("2024-03-01"), "promised_date": pd.Timestamp("2024-03-06"),
                 "received_date": pd.Timestamp("2024-03-08"), "received_quantity": 90, "is_expedited": False}
    current = pd.DataFrame({"snapshot_date": [pd.Timestamp("2024-03-10")], "sku_id": ["SKU-1"],
                            "location_id": ["DC-1"], "on_hand": [90], "allocated": [0], "in_transit": [0],
                            "backordered": [0]})
    deliveries = pd.DataFrame({"po_id": ["PO-1", "PO-1"], "received_quantity": [60, 30],
                               "received_date": pd.to_datetime(["2024-03-05", "2024-03-08"])})

    def history(**kwargs) -> dict[str, list[int]]:
        rebuilt = rebuild_history(current, empty_table("order_lines"), empty_table("orders"), po, **kwargs).snapshots
        return {name: rebuilt.sort_values("snapshot_date")[name].tolist() for name in ("on_hand", "in_transit")}

    assert history(deliveries=deliveries) == {"on_hand": [0] * 4 + [60] * 3 + [90] * 3,
                                              "in_transit": [100] * 4 + [40] * 3 + [0] * 3}
    assert history() == {"on_hand": [0] * 7 + [90] * 3, "in_transit": [100] * 7 + [0] * 3}
