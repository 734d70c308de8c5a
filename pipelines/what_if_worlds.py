"""The report's what-if runs: the world they simulate (a simulated world's own config, or one
calibrated from the user's canonical tables) and the notes that name it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from settings import Settings

WHAT_IF_NOTE = ("{days}-day runs of {world}: baseline, lead times -20%, safety stock +10%. Same demand and "
                "supplier draws in every run; a comparison of parameters on this world, not a forecast.")
# What the what-if calibration reads beyond the report's tables (optional ones only when present).
CALIBRATION_OPTIONAL = ("locations", "inventory_snapshots", "promotions", "sku_substitutes")
CALIBRATION_COLUMNS = {
    "orders": ["order_id", "customer_id", "customer_tier", "order_time", "allow_split"],
    "inventory_snapshots": ["snapshot_date", "sku_id", "location_id", "on_hand", "in_transit"],
}


def is_simulated(canonical_dir: Path) -> bool:
    """Whether the canonical folder holds a simulated world: its manifest's source when there is one,
    else whether the simulator's summary (with its config) is there."""
    manifest, summary = canonical_dir / "manifest.json", canonical_dir / "summary.json"
    if manifest.exists():
        try:
            return str(json.loads(manifest.read_text()).get("source", "")).startswith("simulation:")
        except (ValueError, AttributeError):
            pass
    try:
        return summary.exists() and bool(json.loads(summary.read_text()).get("config"))
    except (ValueError, AttributeError):
        return False


def what_if_runs(settings: Settings, read: dict[str, pd.DataFrame], days: int) -> tuple[list[Any], list[str]]:
    """The what-if runs and the notes naming their world: a simulated world's own config, or a world
    calibrated from the user's tables; no runs (and why) when the data cannot support one."""
    from pipelines.tables import missing_tables, read_canonical_tables
    from reports.whatif import calibrated_what_if_worlds, what_if_configs
    from simulation.calibration import calibrate

    if is_simulated(settings.canonical_dir):
        config = json.loads((settings.canonical_dir / "summary.json").read_text())["config"]
        world = f"the simulated world (seed {config.get('seed')}, {config.get('n_skus')} SKUs) from the same seed"
        return what_if_configs(config, days), [WHAT_IF_NOTE.format(days=days, world=world)]
    optional = [name for name in CALIBRATION_OPTIONAL if not missing_tables(settings.canonical_dir, [name])]
    tables = {**read, **read_canonical_tables(settings.canonical_dir, ["orders", *optional], CALIBRATION_COLUMNS)}
    calibration = calibrate(tables)
    if calibration.cannot_run:
        return [], [f"Cannot run a what-if on this data because {calibration.cannot_run}."]
    return calibrated_what_if_worlds(calibration, days), [
        WHAT_IF_NOTE.format(days=days, world="a world calibrated from your data, from its latest stock"),
        "Calibrated from your data: " + "; ".join(calibration.notes) + ".",
    ]
