"""The Kaggle importer as a user feeds it the original CSV or the shared Parquet samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from contracts.errors import ContractError
from contracts.kaggle import FLAG_COLUMNS, QUANTITY_COLUMNS, read_kaggle

HEADER = ["sku", *QUANTITY_COLUMNS, *FLAG_COLUMNS, "went_on_backorder"]


def _row(sku: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {name: "1" for name in QUANTITY_COLUMNS}
    row.update({"perf_6_month_avg": "0.9", "perf_12_month_avg": "0.8"})
    row.update({name: "No" for name in FLAG_COLUMNS})
    row.update(sku=sku, went_on_backorder="No")
    row.update(overrides)
    return row


def _write_csv(path: Path, rows: list[dict[str, object]], footer: str | None = None) -> Path:
    pd.DataFrame(rows, columns=HEADER).to_csv(path, index=False)
    if footer is not None:
        with path.open("a") as handle:
            handle.write(footer + "," * (len(HEADER) - 1) + "\n")
    return path


def test_original_csv_with_footer_sentinels_and_flags_is_typed(tmp_path):
    rows = [
        _row("1", perf_6_month_avg="-99", perf_12_month_avg="-99", lead_time=""),
        _row("2", potential_issue="Yes", went_on_backorder="Yes", national_inv="-40"),
    ]
    table = read_kaggle(_write_csv(tmp_path / "train.csv", rows, footer="(2 rows)"))
    assert len(table) == 2  # footer dropped
    assert table["perf_6_month_avg"].isna().tolist() == [True, False]
    assert np.isnan(table.loc[0, "lead_time"])
    assert table["potential_issue"].tolist() == [False, True]
    assert table["went_on_backorder"].dtype == bool
    assert table.loc[1, "national_inv"] == -40.0
    assert table["sku"].tolist() == ["1", "2"]


def test_headers_match_regardless_of_case_spaces_and_underscores(tmp_path):
    frame = pd.DataFrame([_row("1")], columns=HEADER).drop(columns=["sku", "went_on_backorder"])
    frame.columns = [c.upper().replace("_", " ") for c in frame.columns]
    frame.to_csv(tmp_path / "test.csv", index=False)
    table = read_kaggle(tmp_path / "test.csv")
    assert "national_inv" in table and "went_on_backorder" not in table and "sku" not in table


def test_missing_required_column_is_named(tmp_path):
    frame = pd.DataFrame([_row("1")], columns=HEADER).drop(columns=["min_bank"])
    frame.to_csv(tmp_path / "broken.csv", index=False)
    with pytest.raises(ContractError, match="broken.csv: missing required column.*min_bank"):
        read_kaggle(tmp_path / "broken.csv")


def test_bad_flag_value_is_named_with_column_and_row(tmp_path):
    path = _write_csv(tmp_path / "bad.csv", [_row("1"), _row("2", deck_risk="maybe")])
    with pytest.raises(ContractError, match="deck_risk: 'maybe' at row 1"):
        read_kaggle(path)


def test_shared_ten_percent_sample_imports_with_published_counts(shared_data):
    table = read_kaggle(shared_data("backorder_kaggle_v2/train_sample_10pct_stratified.parquet"))
    assert len(table) == 168_786
    assert int(table["went_on_backorder"].sum()) == 1_129
    assert (table["perf_6_month_avg"].dropna() >= 0).all()
    assert table["lead_time"].isna().mean() == pytest.approx(0.06, abs=0.01)
