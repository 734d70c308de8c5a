"""Every contract accepts a good row and quarantines each kind of bad row with a clear reason."""

from __future__ import annotations

import pandas as pd
import pytest

from contracts import CANONICAL_TABLES
from contracts.errors import ContractError
from contracts.validation import enforce_contract, key_hashes, validate_table


@pytest.mark.parametrize("table", list(CANONICAL_TABLES))
def test_good_row_is_accepted_with_canonical_types(table, valid_rows, parents):
    result = validate_table(table, pd.DataFrame([valid_rows[table]]), parents=parents)
    assert len(result.quarantined) == 0, result.quarantined["reason"].tolist()
    assert list(result.accepted.columns) == CANONICAL_TABLES[table].column_names
    for spec in CANONICAL_TABLES[table].columns:
        dtype = result.accepted[spec.name].dtype
        if spec.kind in ("date", "datetime"):
            assert pd.api.types.is_datetime64_any_dtype(dtype)
        elif spec.kind == "int":
            assert pd.api.types.is_integer_dtype(dtype)
        elif spec.kind == "bool":
            assert pd.api.types.is_bool_dtype(dtype)


BAD_CASES = [
    ("skus", {"sku_id": ""}, "missing sku_id"),
    ("skus", {"unit_cost": "-1"}, "unit_cost: must be >= 0"),
    ("skus", {"unit_price": "cheap"}, "unit_price: not a number 'cheap'"),
    ("skus", {"unit_price": "inf"}, "unit_price: not a number 'inf'"),
    ("order_lines", {"quantity": "-Infinity"}, "quantity: not a whole number '-Infinity'"),
    ("skus", {"launch_date": "2024-05-01", "phase_out_date": "2024-01-01"}, "phase_out_date must not be before"),
    ("locations", {"holding_cost_rate": "1.5"}, "holding_cost_rate: must be <= 1"),
    ("suppliers", {"name": ""}, "missing name"),
    ("sku_suppliers", {"sku_id": "SKU-404"}, "unknown sku_id 'SKU-404' (not in skus)"),
    ("sku_suppliers", {"is_primary": "perhaps"}, "is_primary: not a yes/no value"),
    ("sku_suppliers", {"quoted_lead_time_days": "7.5"}, "quoted_lead_time_days: not a whole number"),
    ("sku_suppliers", {"moq": "-5"}, "moq: must be >= 0"),
    ("transfer_lanes", {"to_location_id": "DC-1"}, "a lane must join two different locations"),
    ("transfer_lanes", {"to_location_id": "DC-9"}, "unknown to_location_id 'DC-9'"),
    ("inventory_snapshots", {"on_hand": "-3"}, "on_hand: must be >= 0"),
    ("inventory_snapshots", {"snapshot_date": "31/31/2024"}, "snapshot_date: unparseable date"),
    ("inventory_snapshots", {"location_id": "DC-7"}, "unknown location_id 'DC-7'"),
    ("inventory_movements", {"counterpart_location_id": "DC-1"}, "counterpart_location_id must differ"),
    ("inventory_movements", {"counterpart_location_id": "DC-9"}, "unknown counterpart_location_id 'DC-9'"),
    ("inventory_movements", {"quantity_delta": "1.5"}, "quantity_delta: not a whole number"),
    ("orders", {"customer_tier": "vip"}, "customer_tier: must be one of"),
    ("orders", {"order_time": "tomorrow"}, "order_time: unparseable date-time 'tomorrow'"),
    ("order_lines", {"quantity": "0"}, "quantity: must be > 0"),
    ("order_lines", {"quantity": "-2"}, "quantity: must be > 0"),
    ("order_lines", {"order_id": "O-404"}, "unknown order_id 'O-404' (not in orders)"),
    ("order_lines", {"shipped_quantity": "9"}, "shipped_quantity must not exceed quantity"),
    ("order_lines", {"requested_date": ""}, "missing requested_date"),
    ("purchase_orders", {"promised_date": "2024-01-01"}, "promised_date must not be before order_date"),
    ("purchase_orders", {"supplier_id": "S-404"}, "unknown supplier_id 'S-404'"),
    ("asn_events", {"po_id": "PO-404"}, "unknown po_id 'PO-404' (not in purchase_orders)"),
    ("asn_events", {"eta": "soon"}, "eta: unparseable date 'soon'"),
    ("promotions", {"discount_pct": "1.2"}, "discount_pct: must be <= 1"),
    ("promotions", {"announced_date": "2024-03-05"}, "announced_date must not be after start_date"),
    ("promotions", {"end_date": "2024-02-20"}, "end_date must not be before start_date"),
    ("sku_substitutes", {"substitute_sku_id": "SKU-1"}, "a SKU cannot be its own substitute"),
    ("sku_substitutes", {"substitute_sku_id": "SKU-404"}, "unknown substitute_sku_id 'SKU-404' (not in skus)"),
    ("sku_substitutes", {"priority": "0"}, "priority: must be >= 1"),
]


@pytest.mark.parametrize(("table", "change", "reason"), BAD_CASES)
def test_bad_row_is_quarantined_with_a_reason_naming_the_field(table, change, reason, valid_rows, parents):
    good = valid_rows[table]
    bad = {**good, **change}
    frame = pd.DataFrame([good, bad]) if table not in ("orders",) else pd.DataFrame([good, {**bad, "order_id": "O-2"}])
    result = validate_table(table, frame, parents=parents)
    assert len(result.accepted) == 1
    assert len(result.quarantined) == 1
    assert reason in result.quarantined["reason"].iloc[0]


def test_duplicate_keys_keep_the_first_row_and_quarantine_later_ones(valid_rows):
    rows = [valid_rows["skus"], {**valid_rows["skus"], "category": "other"}, valid_rows["skus"]]
    result = validate_table("skus", pd.DataFrame(rows))
    assert result.accepted["category"].tolist() == ["snacks"]
    assert result.quarantined["reason"].tolist() == ["duplicate key (sku_id)"] * 2


def test_keys_seen_in_an_earlier_chunk_count_as_duplicates(valid_rows):
    earlier = key_hashes(pd.DataFrame({"sku_id": ["SKU-1"]}), "skus")
    result = validate_table("skus", pd.DataFrame([valid_rows["skus"]]), seen_keys=earlier)
    assert result.quarantined["reason"].tolist() == ["duplicate key (sku_id)"]


def test_all_reasons_of_a_row_are_reported_together(valid_rows, parents):
    bad = {**valid_rows["order_lines"], "quantity": "-1", "sku_id": "SKU-404"}
    result = validate_table("order_lines", pd.DataFrame([bad]), parents=parents)
    reason = result.quarantined["reason"].iloc[0]
    assert "quantity: must be > 0" in reason and "unknown sku_id 'SKU-404'" in reason


def test_missing_required_column_is_a_contract_error(valid_rows):
    frame = pd.DataFrame([valid_rows["order_lines"]]).drop(columns=["quantity"])
    with pytest.raises(ContractError, match="quantity"):
        validate_table("order_lines", frame)


def test_optional_columns_may_be_absent(valid_rows, parents):
    row = {k: v for k, v in valid_rows["order_lines"].items() if not k.startswith(("shipped", "backordered"))}
    result = validate_table("order_lines", pd.DataFrame([row]), parents=parents)
    assert len(result.accepted) == 1
    assert result.accepted["shipped_date"].isna().all()


def test_enforce_contract_rejects_rows_our_own_code_got_wrong(valid_rows):
    with pytest.raises(ContractError, match="unit_cost: must be >= 0"):
        enforce_contract("skus", pd.DataFrame([{**valid_rows["skus"], "unit_cost": -1.0}]))


def test_typed_input_from_parquet_is_accepted_without_string_round_trip(valid_rows, parents):
    typed = pd.DataFrame(
        {
            "snapshot_date": pd.to_datetime(["2024-03-01"]),
            "sku_id": ["SKU-1"],
            "location_id": ["DC-1"],
            "on_hand": [5],
            "allocated": [0],
            "in_transit": [1],
            "backordered": [0],
        }
    )
    result = validate_table("inventory_snapshots", typed, parents=parents)
    assert result.accepted["on_hand"].tolist() == [5]
