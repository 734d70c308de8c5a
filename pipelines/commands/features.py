"""``backorder features build|apply|materialize``: feature tables, Feast registry, online store."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import typer

from contracts.schemas import stored_dtype
from contracts.tables import CANONICAL_TABLES
from features.build import REQUIRED_TABLES, TIMESTAMP, iter_feature_tables
from pipelines.fingerprint import file_digest
from settings import Settings, load_settings

BUILD_STAMP = "build.json"

app = typer.Typer(help="Feature tables, labels and the Feast feature store.", no_args_is_help=True)


def read_canonical_tables(
    canonical_dir: Path, names: tuple[str, ...] = REQUIRED_TABLES
) -> dict[str, pd.DataFrame]:
    """``<canonical_dir>/<table>.parquet`` for each table, in canonical dtypes."""
    tables = {}
    for name in names:
        path = canonical_dir / f"{name}.parquet"
        if not path.exists():
            raise FileNotFoundError(
                f"canonical table {name!r} not found at {path} (run ingest or simulate)"
            )
        frame = pd.read_parquet(path)
        dtypes = {
            c.name: stored_dtype(c) for c in CANONICAL_TABLES[name].columns if c.name in frame
        }
        tables[name] = frame.astype(dtypes)
    return tables


def write_pieces(pieces: Iterable[tuple[str, pd.DataFrame]], out_dir: Path) -> dict[str, int]:
    """Append each ``(table, rows)`` piece to ``out_dir/<table>.parquet``; returns rows per table.

    Pieces are written as they come (memory holds one SKU group), into a staging folder that
    replaces the tables only once every piece is written.
    """
    staging = out_dir.parent / f".{out_dir.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    writers: dict[str, pq.ParquetWriter] = {}
    rows: dict[str, int] = {}
    try:
        for name, frame in pieces:
            if name not in writers:
                schema = pa.Schema.from_pandas(frame, preserve_index=False)
                writers[name] = pq.ParquetWriter(staging / f"{name}.parquet", schema)
            table = pa.Table.from_pandas(frame, schema=writers[name].schema, preserve_index=False)
            writers[name].write_table(table)
            rows[name] = rows.get(name, 0) + len(frame)
    finally:
        for writer in writers.values():
            writer.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in staging.iterdir():
        path.replace(out_dir / path.name)
    staging.rmdir()
    return rows


def write_feature_tables(
    settings: Settings, horizon: int, forecasts: Path | None, force: bool = False
) -> dict[str, int]:
    """Compute feature and label tables from the canonical tables; returns rows per table.

    Skipped (returning the rows of the last build) when the canonical tables, the horizon and the
    forecasts are those of the last build, unless ``force``.
    """
    inputs = [settings.canonical_dir / f"{name}.parquet" for name in REQUIRED_TABLES]
    stamp = settings.features_dir / BUILD_STAMP
    digest = file_digest(
        [p for p in inputs if p.exists()] + ([forecasts] if forecasts else []), f"horizon={horizon}"
    )
    if not force and stamp.exists() and (last := json.loads(stamp.read_text()))["inputs"] == digest:
        return {name: int(n) for name, n in last["rows"].items()}
    tables = read_canonical_tables(settings.canonical_dir)
    forecast_frame = pd.read_parquet(forecasts) if forecasts else None
    pieces = iter_feature_tables(tables, horizon=horizon, forecasts=forecast_frame)
    rows = write_pieces(pieces, settings.features_dir)
    stamp.write_text(json.dumps({"inputs": digest, "horizon": horizon, "rows": rows}, indent=2))
    return rows


@app.command("build")
def build(
    config: Path | None = typer.Option(None, help="Settings YAML file."),
    horizon: int = typer.Option(
        14, min=1, help="Label horizon H in days (backorder within (t, t+H])."
    ),
    forecasts: Path | None = typer.Option(
        None,
        help="Parquet of forecasts (sku_id, location_id, ds, forecast) for forecast errors.",
    ),
    force: bool = typer.Option(False, "--force/--no-force", help="Rebuild even if the inputs are unchanged."),
) -> None:
    """Compute features and labels from the canonical tables into the features folder."""
    settings = load_settings(config)
    try:
        rows = write_feature_tables(settings, horizon, forecasts, force)
    except (FileNotFoundError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error
    for name, n in rows.items():
        typer.echo(f"{name:<24}{n:>10} rows")
    typer.echo(f"feature tables: {settings.features_dir}")


@app.command("apply")
def apply(config: Path | None = typer.Option(None, help="Settings YAML file.")) -> None:
    """Write the Feast repository (feature_store.yaml) and register entities, views and services."""
    from features.feature_store import apply_definitions  # Feast imports take seconds: only here

    settings = load_settings(config)
    store = apply_definitions(settings)
    views = [v.name for v in store.list_feature_views()]
    services = [s.name for s in store.list_feature_services()]
    typer.echo(
        f"feature repository: {settings.feature_repo_dir} (online store: {settings.online_store})"
    )
    typer.echo(f"feature views: {', '.join(sorted(views))}")
    typer.echo(f"feature services: {', '.join(sorted(services))}")


@app.command("materialize")
def materialize_command(
    config: Path | None = typer.Option(None, help="Settings YAML file."),
    end: datetime | None = typer.Option(
        None, help="Latest feature timestamp to load (default: newest)."
    ),
    days: int = typer.Option(30, min=1, help="How many days before END to look for values."),
) -> None:
    """Load the latest feature values into the online store."""
    settings = load_settings(config)
    try:
        end = materialize_latest(settings, end, days)
    except FileNotFoundError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error
    typer.echo(
        f"materialized up to {end.isoformat()} into the {settings.online_store} online store"
    )


def materialize_latest(settings: Settings, end: datetime | None = None, days: int = 30) -> datetime:
    """Load feature values of ``(end - days, end]`` into the online store; ``end`` defaults to the
    newest feature timestamp. Returns ``end``."""
    from features.feature_store import materialize, open_store  # Feast imports take seconds

    if end is None:
        path = settings.features_dir / "sku_location_features.parquet"
        if not path.exists():
            raise FileNotFoundError(f"{path} not found (run `backorder features build`)")
        end = pd.read_parquet(path, columns=[TIMESTAMP])[TIMESTAMP].max().to_pydatetime()
    materialize(open_store(settings), end - timedelta(days=days), end)
    return end
