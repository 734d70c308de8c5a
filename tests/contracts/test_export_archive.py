"""Exports delivered as one zip archive: unpacked into a folder, the export folder found in it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from contracts.archives import is_archive, unpack_exports
from contracts.errors import ContractError


def _archive(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as book:
        for name, text in members.items():
            book.writestr(name, text)
    return path


def test_files_at_the_archive_root_are_the_export(tmp_path):
    archive = _archive(tmp_path / "erp.zip", {"skus.csv": "sku_id\n", "Order Lines/2024-01.csv": "order_id\n"})
    folder = unpack_exports(archive, tmp_path / "out")
    assert folder == tmp_path / "out"
    assert sorted(p.name for p in folder.iterdir()) == ["Order Lines", "skus.csv"]


def test_the_one_folder_an_archive_holds_is_the_export_and_a_macs_additions_are_left_out(tmp_path):
    archive = _archive(tmp_path / "erp.zip", {"export-2024-03-04/skus.csv": "sku_id\n",
                                              "__MACOSX/export-2024-03-04/._skus.csv": "fork"})
    folder = unpack_exports(archive, tmp_path / "out")
    assert folder == tmp_path / "out" / "export-2024-03-04"
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["export-2024-03-04"]


def test_unpacking_again_leaves_nothing_of_the_earlier_archive(tmp_path):
    unpack_exports(_archive(tmp_path / "a.zip", {"skus.csv": "sku_id\n", "orders.csv": "order_id\n"}), tmp_path / "out")
    folder = unpack_exports(_archive(tmp_path / "b.zip", {"skus.csv": "sku_id\n"}), tmp_path / "out")
    assert [p.name for p in folder.iterdir()] == ["skus.csv"]


@pytest.mark.parametrize("name", ["../skus.csv", "/etc/skus.csv", "export/../../skus.csv"])
def test_a_member_that_would_land_outside_the_folder_stops_the_unpacking(tmp_path, name):
    archive = _archive(tmp_path / "erp.zip", {name: "sku_id\n"})
    with pytest.raises(ContractError, match=f"erp.zip: member {name!r} would be written outside"):
        unpack_exports(archive, tmp_path / "out" / "erp")
    assert not (tmp_path / "out").exists() and not (tmp_path / "skus.csv").exists()


def test_a_file_that_is_not_a_zip_archive_is_named(tmp_path):
    (tmp_path / "erp.zip").write_text("not a zip")
    with pytest.raises(ContractError, match="erp.zip: not a zip archive"):
        unpack_exports(tmp_path / "erp.zip", tmp_path / "out")
    assert is_archive(tmp_path / "erp.zip") and not is_archive(tmp_path)
