"""``backorder features asof|build|apply|materialize``: as-of model outputs, feature tables, Feast
registry, online store.

``asof`` replays the demand and lead-time models over the history (``training.world_asof``) into
``<data>/asof/``, extending its last outputs when the canonical tables only grew; ``build`` uses
those files whenever they were made from the current canonical tables, refuses stale ones, and
includes them in its digest, so a change of either rebuilds.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from contracts.fingerprint import file_digest
from pipelines.asof_outputs import asof_inputs, describe_asof, write_asof_outputs
from pipelines.commands.settings_options import CONFIG_OPTION, Engine, command_settings

if TYPE_CHECKING:
    from pipelines.tables import TableLayout
    from settings import Settings

BUILD_STAMP = "build.json"
MATERIALIZED_STAMP = "materialized.json"
SKU_LOCATION_FEATURES = "sku_location_features"
# Builds whose first changed feature timestamp the build stamp keeps (one per nightly build).
CHANGES_KEPT = 400

app = typer.Typer(help="Feature tables, labels and the Feast feature store.", no_args_is_help=True)


def feature_table_layouts() -> dict[str, TableLayout]:
    """How each feature table is stored: its rows' order and the column that dates them."""
    from features.incremental import STORED_ORDER, day_column
    from pipelines.tables import TableLayout

    return {name: TableLayout(order, day_column(name)) for name, order in STORED_ORDER.items()}


def write_feature_tables(
    settings: Settings,
    horizon: int,
    forecasts: Path | None,
    force: bool = False,
    po_etas: Path | None = None,
    asof: bool = True,
) -> dict[str, int]:
    """Compute feature and label tables from the canonical tables; returns rows per table.

    ``forecasts`` / ``po_etas`` default, with ``asof``, to the outputs of ``features asof`` when
    present. Skipped (returning the rows of the last build) when the canonical tables, the horizon
    and those files are those of the last build, unless ``force``. When the tables only grew by
    new days since the last build, only the rows that can change are computed and replace the
    stored ones (``features.incremental``); the stamp's ``plan`` says which build ran and why.
    """
    import pandas as pd

    from contracts.known_at import HistoryDigests
    from features.build import REQUIRED_TABLES, iter_feature_tables
    from features.demand import order_demand
    from features.incremental import STORED_ORDER, data_end, plan_build, recipe
    from pipelines.tables import read_canonical_tables, table_path, write_table_pieces

    found = asof_inputs(settings) if asof else {}
    forecasts, po_etas = forecasts or found.get("forecasts"), po_etas or found.get("po_etas")
    inputs = [table_path(settings.canonical_dir, name) for name in REQUIRED_TABLES]
    extra = [p for p in (forecasts, po_etas) if p is not None]
    stamp = settings.features_dir / BUILD_STAMP
    digest = file_digest([p for p in inputs if p.exists()] + extra, f"horizon={horizon}")
    last = json.loads(stamp.read_text()) if stamp.exists() else None
    if not force and last is not None and last["inputs"] == digest:
        return {name: int(n) for name, n in last["rows"].items()}
    tables = read_canonical_tables(settings.canonical_dir, REQUIRED_TABLES)
    asof_frames = {
        name: pd.read_parquet(path) for name, path in (("forecasts", forecasts), ("po_etas", po_etas)) if path
    }
    history = {**tables, **asof_frames}
    build_recipe = recipe(horizon, tuple(asof_frames))
    stored = all(table_path(settings.features_dir, name).is_dir() for name in STORED_ORDER)
    usable = last if stored and not force else None
    digests = HistoryDigests(history)  # rows hashed once for the last build's day and this one's
    lines = order_demand(tables["order_lines"], tables["orders"])
    plan = plan_build(history, lines, usable, build_recipe, horizon, digests)
    pieces = iter_feature_tables(
        tables,
        horizon=horizon,
        forecasts=asof_frames.get("forecasts"),
        po_etas=asof_frames.get("po_etas"),
        since=plan.since,
        order_lines_since=plan.order_lines_since,
        lines=lines,
    )
    layouts = feature_table_layouts()
    stamp.unlink(missing_ok=True)  # written last: a half-written build is redone in full
    rows = write_table_pieces(pieces, settings.features_dir, layouts, plan.cuts())
    end = data_end(tables)
    changed = {"build": uuid.uuid4().hex[:12], "changed_from": plan.changed_from()}
    earlier = list(last.get("changes", [])) if plan.incremental and last else []
    used = {"forecasts": str(forecasts) if forecasts else None, "po_etas": str(po_etas) if po_etas else None}
    record = {
        "inputs": digest,
        "horizon": horizon,
        **used,
        "rows": rows,
        "recipe": build_recipe,
        "data_end": str(end.date()),
        "history": digests.at(end),
        "plan": plan.reason,
        "build": changed["build"],
        "changes": [*earlier, changed][-CHANGES_KEPT:],
    }
    stamp.write_text(json.dumps(record, indent=2))
    return rows


@app.command("asof")
def asof_command(
    config: Path | None = CONFIG_OPTION,
    demand_refit_days: int | None = typer.Option(
        None, min=1, help="Days between refits of the demand model (default: the as-of recipe's)."
    ),
    lead_time_refit_days: int | None = typer.Option(
        None, min=1, help="Days between refits of the lead-time model (default: the as-of recipe's)."
    ),
    force: bool = typer.Option(
        False, "--force/--no-force", help="Recompute everything, even if the inputs are unchanged or only grew."
    ),
    engine: Engine | None = typer.Option(
        None,
        help="Replay the demand forecasts in this process or by series partition on a Dask cluster "
        "(default: the settings' engine, `engine`; docs/scaling.md).",
    ),
) -> None:
    """As-of demand forecasts and PO ETAs over the history, for forecast-error and ETA features."""
    from contracts.errors import ContractError
    from training.recipes import AsOfJob

    settings = command_settings(config)
    if engine is not None:
        settings = settings.model_copy(update={"engine": engine.value})
    given = {"demand_refit_days": demand_refit_days, "lead_time_refit_days": lead_time_refit_days}
    job = AsOfJob(**{name: days for name, days in given.items() if days is not None})
    try:
        stamp = write_asof_outputs(settings, job, force)
    except ValueError as error:  # the canonical tables hold too short a history for the schedule
        raise ContractError(f"canonical tables in {settings.canonical_dir}: {error}") from error
    typer.echo(describe_asof(stamp))
    typer.echo(f"as-of outputs: {settings.asof_dir}")


@app.command("build")
def build(
    config: Path | None = CONFIG_OPTION,
    horizon: int = typer.Option(
        14, min=1, help="Label horizon H in days (backorder within (t, t+H])."
    ),
    forecasts: Path | None = typer.Option(
        None,
        help="Parquet of forecasts (sku_id, location_id, ds, forecast) for forecast errors "
        "(default: the as-of forecasts of `features asof`).",
    ),
    po_etas: Path | None = typer.Option(
        None,
        help="Parquet of PO ETAs (po_id, eta_p50, eta_p90, p_late) for model-based inbound "
        "(default: the as-of ETAs of `features asof`).",
    ),
    asof: bool = typer.Option(True, "--asof/--no-asof", help="Use the outputs of `features asof` when present."),
    force: bool = typer.Option(
        False, "--force/--no-force", help="Rebuild everything, even if the inputs are unchanged or only grew."
    ),
) -> None:
    """Compute features and labels from the canonical tables into the features folder (only the
    rows new days can change, when the tables only grew since the last build)."""
    settings = command_settings(config)
    rows = write_feature_tables(settings, horizon, forecasts, force, po_etas, asof)
    for name, n in rows.items():
        typer.echo(f"{name:<24}{n:>10} rows")
    typer.echo(f"feature tables: {settings.features_dir}")


@app.command("apply")
def apply(config: Path | None = CONFIG_OPTION) -> None:
    """Write the Feast repository (feature_store.yaml) and register entities, views and services."""
    from features.feature_store import apply_definitions  # Feast imports take seconds: only here

    settings = command_settings(config)
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
    config: Path | None = CONFIG_OPTION,
    end: datetime | None = typer.Option(
        None, help="Latest feature timestamp to load (default: newest)."
    ),
    days: int = typer.Option(30, min=1, help="How many days before END to look for values."),
    full: bool = typer.Option(
        False, "--full/--incremental", help="Load the whole window, not only what changed since the last load."
    ),
) -> None:
    """Load the latest feature values into the online store (by default only those new since the last load)."""
    settings = command_settings(config)
    end = materialize_latest(settings, end, days, full=full)
    typer.echo(
        f"materialized up to {end.isoformat()} into the {settings.online_store} online store"
    )


def materialize_latest(
    settings: Settings, end: datetime | None = None, days: int = 30, rewind: bool = False, full: bool = False
) -> datetime:
    """Load feature values of ``(end - days, end]`` into the online store; ``end`` defaults to the
    newest feature timestamp, ``rewind`` replaces values newer than ``end``. Returns ``end``; raises
    ``MissingInput`` without feature tables.

    A load ending before the last load's end into the same store rewinds even without ``rewind``:
    Redis keeps the newest value per key, so it would go on serving the later day where SQLite
    serves the earlier one.

    Unless ``full`` or ``rewind``, only the timestamps a load can change are loaded: those after the
    last load's ``end`` into the same store, or from the first new day of the feature builds since
    (``materialize_start``).
    """
    from features.build import TIMESTAMP
    from features.feature_store import materialize, open_store, store_config  # Feast imports take seconds
    from pipelines.tables import read_feature_table

    if end is None:
        newest = read_feature_table(settings.features_dir, SKU_LOCATION_FEATURES, columns=[TIMESTAMP])[TIMESTAMP].max()
        end = newest.to_pydatetime()
    end = end if end.tzinfo else end.replace(tzinfo=UTC)  # Feast reads naive times as UTC
    window = end - timedelta(days=days)
    stamp_path = settings.feature_repo_dir / MATERIALIZED_STAMP
    config = store_config(settings)
    target = json.dumps({"project": config["project"], "online_store": config["online_store"]}, sort_keys=True)
    last = json.loads(stamp_path.read_text()) if stamp_path.exists() and not (full or rewind) else None
    last = last if last is not None and last.get("store") == target else None
    if last is not None and datetime.fromisoformat(str(last["end"])) > end:
        rewind = True
    build_path = settings.features_dir / BUILD_STAMP
    build = json.loads(build_path.read_text()) if build_path.exists() else {}
    start = materialize_start(window, end, last, build)
    materialize(open_store(settings), start, end, rewind)
    stamp_path.write_text(json.dumps({"end": end.isoformat(), "build": build.get("build"), "store": target}))
    return end


def materialize_start(
    window: datetime, end: datetime, last: dict[str, object] | None, build: dict[str, object]
) -> datetime:
    """Where a load up to ``end`` starts: ``window`` (the whole look-back), or later when the last
    load (``last``: its ``end`` and the ``build`` it loaded) holds everything before.

    Rows the feature builds after that one rewrote (the build stamp's ``changes``, one per build
    since the last full one) are loaded again; a full rebuild since, a load that goes back in time
    or a build the stamp does not list loads the whole window.
    """
    if last is None or datetime.fromisoformat(str(last["end"])) > end:
        return window
    changes = list(build.get("changes", []))
    builds = [change["build"] for change in changes]
    if last["build"] not in builds:
        return window
    since_load = changes[builds.index(last["build"]) + 1 :]
    if any(change["changed_from"] is None for change in since_load):
        return window
    starts = [datetime.fromisoformat(str(last["end"]))]
    starts += [datetime.fromisoformat(change["changed_from"]) for change in since_load]
    return max(window, min(starts))
