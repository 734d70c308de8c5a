"""One data folder, one world: the manifest, refusal of another source, --replace, idempotence."""

from __future__ import annotations

import json

import pytest
from mlflow import MlflowClient

from contracts.ingest import ingest_exports
from contracts.world_manifest import MANIFEST_FILE, OtherWorld, exports_source, read_manifest


def _ingest(source, out, **options):
    return ingest_exports(source, out / "canonical", out / "quarantine", **options)


def test_ingest_writes_a_manifest_of_the_source_tables_and_span(make_export, valid_export_rows, tmp_path):
    source = make_export(valid_export_rows)
    _ingest(source, tmp_path / "out")
    manifest = read_manifest(tmp_path / "out" / "canonical")
    assert manifest.source == exports_source(source) and manifest.written_by == "ingest"
    assert manifest.tables["order_lines"].rows == 1 and len(manifest.tables["order_lines"].digest) == 16
    assert (manifest.tables["orders"].first_day, manifest.tables["orders"].last_day) == ("2024-03-01", "2024-03-01")
    assert manifest.first_day == "2024-01-01" and manifest.last_day == "2024-03-07"  # sku launch .. promotion end
    body = json.loads((tmp_path / "out" / "canonical" / MANIFEST_FILE).read_text())
    assert body["first_day"] == "2024-01-01" and body["tables"]["skus"]["rows"] == 2


def test_reingesting_the_same_source_is_idempotent(make_export, valid_export_rows, tmp_path):
    source = make_export(valid_export_rows)
    _ingest(source, tmp_path / "out")
    first = {p.name: p.read_bytes() for p in (tmp_path / "out" / "canonical").iterdir()}
    _ingest(source, tmp_path / "out")
    assert {p.name: p.read_bytes() for p in (tmp_path / "out" / "canonical").iterdir()} == first


def test_another_source_is_refused_and_nothing_is_written(make_export, valid_export_rows, tmp_path):
    _ingest(make_export(valid_export_rows, "acme"), tmp_path / "out")
    before = {p.name: p.read_bytes() for p in (tmp_path / "out" / "canonical").iterdir()}
    with pytest.raises(OtherWorld) as error:
        _ingest(make_export(valid_export_rows, "globex"), tmp_path / "out")
    assert "acme" in str(error.value) and "globex" in str(error.value) and "--replace" in str(error.value)
    assert {p.name: p.read_bytes() for p in (tmp_path / "out" / "canonical").iterdir()} == before


def test_a_declared_source_makes_several_export_folders_one_world(make_export, valid_export_rows, tmp_path):
    for name in ("monday", "tuesday"):
        folder = make_export(valid_export_rows, name)
        (folder / "export.yaml").write_text("source: acme-erp\n")
        _ingest(folder, tmp_path / "out")
    assert read_manifest(tmp_path / "out" / "canonical").source == "source:acme-erp"


def test_replace_leaves_no_table_of_the_old_world(make_export, valid_export_rows, tmp_path):
    old = dict(valid_export_rows)
    old["promotions"] = [{**old["promotions"][0], "discount_pct": "2"}]  # quarantined in the old world
    _ingest(make_export(old, "acme"), tmp_path / "out")
    assert (tmp_path / "out" / "quarantine" / "promotions.csv").exists()
    new = {name: rows for name, rows in valid_export_rows.items() if name not in ("promotions", "asn_events")}

    report = _ingest(make_export(new, "globex"), tmp_path / "out", replace=True)

    canonical = {p.name for p in (tmp_path / "out" / "canonical").iterdir()}
    assert "promotions.parquet" not in canonical and "asn_events.parquet" not in canonical
    assert not (tmp_path / "out" / "quarantine" / "promotions.csv").exists()
    manifest = read_manifest(tmp_path / "out" / "canonical")
    assert manifest.source.endswith("globex") and set(manifest.tables) == set(new)
    assert report.replaced_world.endswith("acme")


def test_replacing_the_world_retires_its_champions(make_export, valid_export_rows, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pipelines.cli import app

    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    runner = CliRunner()
    first = runner.invoke(app, ["--data-dir", str(data), "ingest", str(make_export(valid_export_rows, "acme"))])
    assert first.exit_code == 0, first.output
    uri = f"sqlite:///{data / 'mlflow' / 'mlflow.db'}"
    (data / "mlflow").mkdir()
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("demand")
    version = client.create_model_version("demand", source=str(tmp_path / "model"))
    client.set_registered_model_alias("demand", "champion", version.version)

    refused = runner.invoke(app, ["--data-dir", str(data), "ingest", str(make_export(valid_export_rows, "globex"))])
    assert refused.exit_code == 2 and "--replace" in refused.output
    assert client.get_model_version_by_alias("demand", "champion").version == version.version

    replaced = runner.invoke(
        app, ["--data-dir", str(data), "ingest", str(make_export(valid_export_rows, "globex")), "--replace"]
    )
    assert replaced.exit_code == 0, replaced.output
    assert "retired champions: demand" in replaced.output
    model = client.get_registered_model("demand")
    assert "champion" not in model.aliases
    tags = client.get_model_version("demand", version.version).tags
    assert "acme" in tags["retired_reason"] and "globex" in tags["retired_reason"] and "champion_until" in tags
    assert any(key.startswith("retired.") for key in model.tags)
