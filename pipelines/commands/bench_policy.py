"""``backorder benchmark policy``: the decision engine against the ERP baseline on one seeded world.

The benchmark itself is ``policy.benchmark.benchmark_policies``; this command writes its figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def policy(
    out: Annotated[Path, typer.Option(help="RESULT.json to write.")],
    seed: int = typer.Option(0, help="Seed of the simulated world."),
    skus: int = typer.Option(300, min=1, help="Number of SKUs (small values for quick runs)."),
    locations: int = typer.Option(4, min=2, help="Number of distribution centres."),
    suppliers: int = typer.Option(15, min=2, help="Number of suppliers."),
    days: int = typer.Option(730, min=2, help="Days simulated (history + replay)."),
    history_days: int = typer.Option(
        365, min=1, help="Days of history (baseline policy) the models are trained on; the rest is replayed."
    ),
    substitute: bool = typer.Option(
        False, help="Replay the decision engine a second time offering substitutes to short lines (model_substitute)."
    ),
) -> None:
    """Train on a baseline history, then replay the rest under the ERP baseline and the decision engine."""
    from policy.benchmark import benchmark_policies
    from simulation import SimulationConfig

    if history_days >= days:
        raise typer.BadParameter(f"--history-days ({history_days}) must be below --days ({days})")
    config = SimulationConfig(seed=seed, n_skus=skus, n_locations=locations, n_suppliers=suppliers, n_days=days)
    result = benchmark_policies(config, history_days, substitute)
    info = result.pop("_info")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    typer.echo(
        f"history {history_days} days (models trained on rows up to {info['demand_training_end']} demand, "
        f"{info['lead_time_training_end']} PO lines); replay of {result['days']} days from {info['replay_start']}"
    )
    for name, figures in result["policies"].items():
        typer.echo(
            f"{name:>8}: backordered {figures['backordered_units']:,} units, fill rate "
            f"{figures['fill_rate']:.4f}, inventory {figures['avg_inventory_value']:,.0f}, "
            f"total cost {figures['total_cost']:,.0f}"
            + (f", {figures['substituted_units']:,} units from substitutes" if "substituted_units" in figures else "")
        )
    typer.echo("seconds: " + ", ".join(f"{k} {v}" for k, v in info["seconds"].items()))
