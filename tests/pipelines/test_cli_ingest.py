"""The `backorder ingest` command as a user runs it (the demo loop: test_demo_loop.py)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from pipelines.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "erp_export"


def test_ingest_prints_accepted_and_quarantined_counts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["ingest", str(EXAMPLES)])
    assert result.exit_code == 0, result.output
    assert "order_lines" in result.output and "quarantined" in result.output
    assert (tmp_path / "data" / "canonical" / "order_lines.parquet").exists()
    assert (tmp_path / "data" / "quarantine" / "order_lines.csv").exists()


def test_ingest_of_a_broken_export_exits_with_a_message_naming_file_and_column(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "export"
    source.mkdir()
    (source / "skus.csv").write_text("sku_id,category\nSKU-1,snacks\n")
    result = CliRunner().invoke(app, ["ingest", str(source)])
    assert result.exit_code == 2
    assert "skus.csv: missing required column(s) unit_cost, unit_price" in result.output
    assert not (tmp_path / "data" / "canonical" / "skus.parquet").exists()


def test_ingest_names_every_broken_file_one_per_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "export"
    source.mkdir()
    (source / "skus.csv").write_text("sku_id,category\nSKU-1,snacks\n")
    (source / "locations.csv").write_text("location_id;name;region;holding_cost_rate\nDC-1;North;north;0.2\n")
    result = CliRunner().invoke(app, ["ingest", str(source)])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0] == "error: 2 files cannot be read as their table:"
    assert lines[1].startswith("  - locations.csv: the header reads as one column")
    assert lines[2].startswith("  - skus.csv: missing required column(s) unit_cost, unit_price")


def test_ingest_of_a_missing_folder_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_a_zip_archive_of_the_exports_ingests_as_its_folder_and_again_as_the_same_world(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    archive = tmp_path / "erp-drop.zip"
    with zipfile.ZipFile(archive, "w") as book:
        for path in EXAMPLES.rglob("*"):
            book.write(path, Path("erp_export") / path.relative_to(EXAMPLES))
    folder = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "from-folder"), "ingest", str(EXAMPLES)])
    assert folder.exit_code == 0, folder.output
    for attempt in range(2):  # the second: the same archive is the same world, not another one
        zipped = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "from-zip"), "ingest", str(archive)])
        assert zipped.exit_code == 0, (attempt, zipped.output)
    for table in ("order_lines", "purchase_orders"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "from-zip" / "canonical" / f"{table}.parquet"),
                                      pd.read_parquet(tmp_path / "from-folder" / "canonical" / f"{table}.parquet"))
    quarantined = pd.read_csv(tmp_path / "from-zip" / "quarantine" / "order_lines.csv", dtype=str)
    unpacked = tmp_path / "from-zip" / "exports" / "erp-drop" / "erp_export"
    assert (unpacked / quarantined["source_file"].iloc[0]).is_file()  # the file a quarantined row came from
    checked = CliRunner().invoke(app, ["check", "--exports", str(archive)])
    assert "order_lines" in checked.output and "models:" in checked.output, checked.output
