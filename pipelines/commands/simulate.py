"""``backorder simulate``: run the seeded simulator and write validated canonical tables."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipelines.commands.settings_options import CONFIG_OPTION, command_settings

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pandas as pd

    from simulation import SimulationConfig, SimulationResult


# Rows validated at once: the contract checks copy what they check, so a whole large table
# would be held several times over.
VALIDATION_CHUNK_ROWS = 1_000_000


def validated_pieces(
    result: SimulationResult, chunk_rows: int = VALIDATION_CHUNK_ROWS
) -> Iterator[tuple[str, pd.DataFrame]]:
    """Every table through its contract in pieces of ``chunk_rows`` rows, as ``(table, rows)``.

    Tables come parents first so foreign keys are checked too; a key repeated anywhere in a table
    is looked for once over the whole table, before its pieces. Each table is taken out of
    ``result.tables`` as it is validated and only the tables others refer to are kept whole, so
    the world is held about once. The simulator is our own code: a quarantined row is a bug, so
    it stops the command.
    """
    import pandas as pd

    from contracts.errors import ContractError
    from contracts.tables import CANONICAL_TABLES, TABLE_ORDER
    from contracts.validation import REASON_COLUMN, validate_table

    referenced = {fk.ref_table for contract in CANONICAL_TABLES.values() for fk in contract.foreign_keys}
    parents: dict[str, pd.DataFrame] = {}
    for name in TABLE_ORDER:
        frame = result.tables.pop(name)
        key = list(CANONICAL_TABLES[name].key)
        repeated = int(frame.duplicated(subset=key).sum()) if len(frame) > chunk_rows else 0
        if repeated:
            raise ContractError(f"simulated table {name}: {repeated} row(s) repeat a key ({', '.join(key)})")
        kept: list[pd.DataFrame] = []
        for start in range(0, max(len(frame), 1), chunk_rows):
            checked = validate_table(name, frame.iloc[start : start + chunk_rows], parents=parents)
            if len(checked.quarantined):
                sample = checked.quarantined[REASON_COLUMN].head(3).tolist()
                raise ContractError(
                    f"simulated table {name}: {len(checked.quarantined)} row(s) break the contract, e.g. {sample}"
                )
            if name in referenced:
                kept.append(checked.accepted)
            yield name, checked.accepted
        del frame
        if name in referenced:
            parents[name] = pd.concat(kept) if len(kept) > 1 else kept[0]


def validated_tables(result: SimulationResult) -> dict[str, pd.DataFrame]:
    """Every table of ``result`` through its contract (``validated_pieces``), each one whole."""
    import pandas as pd

    pieces: dict[str, list[pd.DataFrame]] = {}
    for name, rows in validated_pieces(result):
        pieces.setdefault(name, []).append(rows)
    return {name: pd.concat(rows) if len(rows) > 1 else rows[0] for name, rows in pieces.items()}


def simulate(
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for <table>.parquet files and summary.json (default: the canonical folder)."),
    ] = None,
    seed: int = typer.Option(0, help="Random seed; same seed + options = same world."),
    scenario: str = typer.Option(
        "baseline", help="Named scenario, e.g. baseline, supplier_disruption, long_lead_times."
    ),
    lead_time_scale: float | None = typer.Option(None, help="Multiply quoted lead times and delays."),
    demand_volatility: float | None = typer.Option(None, help="Multiply demand overdispersion and surges."),
    safety_stock_factor: float | None = typer.Option(None, help="Multiply the baseline's safety stock."),
    disruption_frequency: float | None = typer.Option(None, help="Multiply supplier disruption episodes."),
    promotion_intensity: float | None = typer.Option(None, help="Multiply the number of promotions."),
    skus: int | None = typer.Option(None, min=1, help="Number of SKUs (default 300)."),
    locations: int = typer.Option(4, min=2, help="Number of distribution centres."),
    suppliers: int | None = typer.Option(None, min=2, help="Number of suppliers (default 15)."),
    scale: float | None = typer.Option(
        None,
        help="A world SCALE times the default one: SCALE x 300 SKUs and SCALE x 15 suppliers "
        "(instead of --skus and --suppliers).",
    ),
    days: int = typer.Option(730, min=1, help="Days simulated."),
    force: bool = typer.Option(
        False, "--force/--no-force", help="Simulate even if OUT already holds this config's world."
    ),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Simulate a supply chain under the baseline ERP policy; write every canonical table."""
    from simulation import scenario_config

    try:
        size = world_size(scale, skus, suppliers)
        world = scenario_config(
            scenario,
            seed=seed,
            **size,
            n_locations=locations,
            n_days=days,
            lead_time_scale=lead_time_scale,
            demand_volatility=demand_volatility,
            safety_stock_factor=safety_stock_factor,
            disruption_frequency=disruption_frequency,
            promotion_intensity=promotion_intensity,
        )
    except ValueError as error:  # an unknown scenario or a knob out of range
        raise typer.BadParameter(str(error)) from error
    out = out or command_settings(config).canonical_dir
    summary = write_simulation(world, out, force)
    verb = "already holds" if summary.get("skipped") else "wrote"
    typer.echo(f"scenario {scenario}, seed {seed}: {verb} {summary['tables']} tables in {out}")
    typer.echo(format_summary(summary))


def world_size(scale: float | None, skus: int | None, suppliers: int | None) -> dict[str, int]:
    """``n_skus`` and ``n_suppliers`` from ``--scale`` or from ``--skus``/``--suppliers`` (not both)."""
    from simulation.config import SimulationConfig, scaled_world_size

    if scale is None:
        default = SimulationConfig()
        return {"n_skus": skus or default.n_skus, "n_suppliers": suppliers or default.n_suppliers}
    if skus is not None or suppliers is not None:
        raise ValueError("scale sets the SKUs and suppliers: give --scale or --skus/--suppliers, not both")
    return scaled_world_size(scale)


def write_simulation(config: SimulationConfig, out: Path, force: bool = False) -> dict[str, object]:
    """Simulate ``config``, validate every table and write ``<table>.parquet`` + ``summary.json``.

    Skipped (returning the stored summary, with ``skipped`` true) when ``out`` already holds this
    config's world, unless ``force``: the simulator is deterministic in its config. The folder's
    manifest names the world ``simulation:<config digest>``.
    """
    from contracts.fingerprint import file_digest
    from contracts.world_manifest import write_manifest
    from pipelines.tables import missing_tables, write_table_files
    from simulation import simulate as run_simulation

    recipe = json.loads(json.dumps(asdict(config), sort_keys=True, default=str))
    stored = out / "summary.json"
    if not force and stored.exists():
        summary = json.loads(stored.read_text())
        tables_present = not missing_tables(out, summary.get("rows", {}))
        if summary.get("config") == recipe and tables_present:
            return {**summary, "skipped": True}
    result = run_simulation(config)
    rows = write_table_files(validated_pieces(result), out)
    summary = {
        **result.summary(),
        "tables": len(rows),
        "rows": rows,
        "config": recipe,
    }
    stored.write_text(json.dumps(summary, indent=2, sort_keys=True))
    digest = file_digest([], json.dumps(recipe, sort_keys=True))
    write_manifest(out, f"simulation:{digest}", "simulate", digest)
    return summary


def format_summary(summary: dict[str, object]) -> str:
    return (
        f"fill rate {summary['fill_rate']:.3f}, lines backordered {summary['backorder_rate']:.2%}, "
        f"lines late {summary['lines_late']}, total cost {summary['total_cost']:,.0f}"
    )
