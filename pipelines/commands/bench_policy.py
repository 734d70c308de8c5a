"""``backorder benchmark policy``: the decision engine against the ERP baseline on one seeded world.

Both policies face the same world (common random numbers: demand and supplier delays depend
only on the seed), so every difference in the figures is the policy's doing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pipelines.policies import DecisionPolicy
from simulation import BaselinePolicy, SimulationConfig, simulate

METRICS = ("backordered_units", "fill_rate", "lines_late", "avg_days_late", "avg_inventory_value")


def _summary(metrics: dict[str, object]) -> dict[str, object]:
    """The figures the benchmark compares, with cost by component."""
    return {
        **{name: metrics[name] for name in METRICS},
        "total_cost": metrics["total_cost"],
        "cost": metrics["cost"],
    }


def benchmark_policies(config: SimulationConfig) -> dict[str, object]:
    """Run ``config``'s world under the baseline and the model-driven policy."""
    baseline = simulate(config, BaselinePolicy.from_config(config))
    model = simulate(
        config,
        DecisionPolicy(
            n_suppliers=config.n_suppliers,
            window=config.forecast_window_days,
            order_cost=config.ordering_cost,
        ),
    )
    return {
        "seed": config.seed,
        "days": config.n_days,
        "policies": {"baseline": _summary(baseline.metrics), "model": _summary(model.metrics)},
    }


def policy(
    out: Annotated[Path, typer.Option(help="RESULT.json to write.")],
    seed: int = typer.Option(0, help="Seed of the simulated world."),
    skus: int = typer.Option(300, min=1, help="Number of SKUs (small values for quick runs)."),
    locations: int = typer.Option(4, min=2, help="Number of distribution centres."),
    suppliers: int = typer.Option(15, min=2, help="Number of suppliers."),
    days: int = typer.Option(730, min=1, help="Days simulated."),
) -> None:
    """Replay one simulated world under the ERP baseline and the decision engine; write figures."""
    config = SimulationConfig(
        seed=seed, n_skus=skus, n_locations=locations, n_suppliers=suppliers, n_days=days
    )
    result = benchmark_policies(config)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    for name, figures in result["policies"].items():
        typer.echo(
            f"{name:>8}: backordered {figures['backordered_units']:,} units, fill rate "
            f"{figures['fill_rate']:.4f}, inventory {figures['avg_inventory_value']:,.0f}, "
            f"total cost {figures['total_cost']:,.0f}"
        )
