"""One call from a config (and optionally a policy) to tables and metrics; pure, no files."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from simulation.config import SimulationConfig
from simulation.demand import generate_demand
from simulation.engine import run
from simulation.outcomes import canonical_tables, run_metrics, transfers_table
from simulation.policy import BaselinePolicy, Policy
from simulation.supply import generate_supply
from simulation.world import generate_world


@dataclass(frozen=True)
class SimulationResult:
    config: SimulationConfig
    tables: dict[str, pd.DataFrame]  # canonical tables, in contracts.tables.TABLE_ORDER
    transfers: pd.DataFrame
    initial_on_hand: pd.DataFrame  # sku_id, location_id, on_hand before the first day
    metrics: dict[str, object]

    def summary(self) -> dict[str, object]:
        """JSON-ready figures of the run plus the config that produced them."""
        config = asdict(self.config)
        config["start_date"] = self.config.start_date.isoformat()
        return {**self.metrics, "config": config}


def simulate(config: SimulationConfig, policy: Policy | None = None) -> SimulationResult:
    """Generate the world of ``config`` and run it under ``policy`` (default: the ERP baseline).

    Demand and supplier behaviour depend only on the config and seed, never on the policy.
    """
    world = generate_world(config)
    demand = generate_demand(world)
    draws = generate_supply(world)
    log = run(world, demand, draws, policy or BaselinePolicy.from_config(config))
    initial = pd.DataFrame(
        {
            "sku_id": world.sku_ids[world.sku_of],
            "location_id": world.location_ids[world.location_of],
            "on_hand": log.initial_on_hand,
        }
    )
    return SimulationResult(
        config=config,
        tables=canonical_tables(world, demand, log),
        transfers=transfers_table(world, log),
        initial_on_hand=initial,
        metrics=run_metrics(world, demand, log),
    )
